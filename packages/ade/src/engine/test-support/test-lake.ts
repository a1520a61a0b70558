// Test helper: a temporary lake (one folder per zone) and an Engine over it.
// Tables are written with Engine.write, the same path loads and model builds use.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Principal } from '../../kernel/index.js';
import { readableZones, ZONES, type Role } from '../../kernel/index.js';
import { Engine, engineConfig, type EngineConfig, type SessionOptions, type TableBinding } from '../index.js';

export interface TestLake {
  readonly root: string;
  readonly engine: Engine;
  /** The local folder of a zone. */
  dir(zone: string): string;
  /** Writes the result of `sql` as a new batch of `zone.name` and returns its binding (with earlier files of `base`). */
  table(zone: string, name: string, sql: string, base?: TableBinding): Promise<TableBinding>;
  /** Session options for a principal of `role`, allowed the zones the role may read. */
  as(role: Role, tables: readonly TableBinding[]): SessionOptions;
  close(): Promise<void>;
}

export async function openTestLake(config: Partial<EngineConfig> = {}): Promise<TestLake> {
  const root = await mkdtemp(join(tmpdir(), 'ade-engine-'));
  for (const zone of ZONES) await mkdir(join(root, zone), { recursive: true });
  const engine = await Engine.create(engineConfig({ tempDir: join(root, 'tmp'), threads: 2, memoryLimit: '512MB', ...config }));
  let batch = 0;
  const dir = (zone: string) => join(root, zone);
  return {
    root,
    engine,
    dir,
    async table(zone, name, sql, base) {
      const written = await engine.write({
        sql,
        tables: [],
        readPaths: [],
        readDirectories: [],
        outDir: join(dir(zone), name, 'data'),
        filePrefix: `batch${++batch}`,
      });
      return {
        zone,
        name,
        columns: base?.columns ?? written.columns,
        files: [...(base?.files ?? []), ...written.files.map((f) => f.localPath)],
      };
    },
    as(role, tables) {
      const principal: Principal = { name: `test-${role}`, role };
      return { principal, tables, allowedDirectories: readableZones(role).map(dir) };
    },
    async close() {
      await engine.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
