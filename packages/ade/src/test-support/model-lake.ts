import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { formatTableRef, type Principal } from '../kernel/index.js';
import type { Lake } from '../lake/index.js';
import { openTempLake } from './temp-lake.js';
import { loadModels, ModelGraph } from '../models/index.js';

/** For tests: a project folder with an embedded lake (local files, SQLite), its model files, graph and queries. */
export class ModelLake {
  readonly dir: string;
  readonly lake: Lake;
  readonly #reader: Principal;

  private constructor(dir: string, lake: Lake, reader: Principal) {
    this.dir = dir;
    this.lake = lake;
    this.#reader = reader;
  }

  /** A new folder under the OS temp dir named `<prefix>…`; queries run as `reader`. */
  static async open(prefix: string, reader: Principal, threads = 2): Promise<ModelLake> {
    const { dir, lake } = await openTempLake(prefix, { threads });
    return new ModelLake(dir, lake, reader);
  }

  /** Writes a file of the project (e.g. `models/lib/x.ts`). */
  async file(rel: string, text: string): Promise<void> {
    await mkdir(dirname(join(this.dir, rel)), { recursive: true });
    await writeFile(join(this.dir, rel), text);
  }

  /** Writes `models/<zone>/<name>.sql`. */
  model(zone: string, name: string, text: string): Promise<void> {
    return this.file(join('models', zone, `${name}.sql`), text);
  }

  /** The project's models as a graph over the lake's tables. */
  async graph(): Promise<ModelGraph> {
    return new ModelGraph(await loadModels(this.dir), new Set((await this.lake.catalog.listTables()).map((t) => formatTableRef(t))));
  }

  async rows(sql: string): Promise<readonly Record<string, unknown>[]> {
    const s = await this.lake.session(this.#reader);
    try {
      return (await s.query(sql)).rows;
    } finally {
      await s.close();
    }
  }

  async close(): Promise<void> {
    await this.lake.close();
    await rm(this.dir, { recursive: true, force: true });
  }
}
