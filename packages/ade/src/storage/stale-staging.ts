import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Removes the `stage-*` directories under `stagingRoot` last modified before
 * `before`: what writers killed before they published left behind (a live
 * writer publishes or removes its own within minutes). Returns how many went.
 */
export async function removeStaleStaging(stagingRoot: string, before: Date): Promise<number> {
  let names: string[];
  try {
    names = await readdir(stagingRoot);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith('stage-')) continue;
    const path = join(stagingRoot, name);
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory() || info.mtime >= before) continue;
    await rm(path, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
