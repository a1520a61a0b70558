import { readFile } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { parseSqlModel, type SqlModel } from './model-file.js';

/** Every SQL model under `<projectDir>/models/<zone>/*.sql`, sorted by table. */
export async function loadModels(projectDir: string): Promise<SqlModel[]> {
  const files = await glob('models/*/*.sql', { cwd: projectDir, absolute: true, onlyFiles: true });
  const models: SqlModel[] = [];
  for (const f of files.sort()) models.push(parseSqlModel(await readFile(f, 'utf8'), f, projectDir));
  return models.sort((a, b) => `${a.table.zone}.${a.table.name}`.localeCompare(`${b.table.zone}.${b.table.name}`));
}

