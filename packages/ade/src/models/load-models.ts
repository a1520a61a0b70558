import { readFile } from 'node:fs/promises';
import { glob } from 'tinyglobby';
import { MODEL_ZONES, parseSqlModel, type SqlModel } from './model-file.js';
import { loadTsModel } from './ts-model.js';

/**
 * Every model under `<projectDir>/models/<zone>/`: SQL files, and TypeScript
 * files in the model zones (other folders, such as models/lib/, hold shared
 * code they import), sorted by table.
 */
export async function loadModels(projectDir: string): Promise<SqlModel[]> {
  const sql = await glob('models/*/*.sql', { cwd: projectDir, absolute: true, onlyFiles: true });
  const ts = await glob(`models/{${MODEL_ZONES.join(',')}}/*.ts`, { cwd: projectDir, absolute: true, onlyFiles: true, ignore: ['**/*.d.ts', '**/*.test.ts'] });
  const models: SqlModel[] = [];
  for (const f of sql.sort()) models.push(parseSqlModel(await readFile(f, 'utf8'), f, projectDir));
  for (const f of ts.sort()) models.push(await loadTsModel(f, projectDir));
  return models.sort((a, b) => `${a.table.zone}.${a.table.name}`.localeCompare(`${b.table.zone}.${b.table.name}`));
}

/**
 * The SQL models only, without bundling TypeScript ones: what every command
 * needs to know about models (their checks and time columns) at little cost.
 */
export async function loadSqlModels(projectDir: string): Promise<SqlModel[]> {
  const sql = await glob('models/*/*.sql', { cwd: projectDir, absolute: true, onlyFiles: true });
  const models: SqlModel[] = [];
  for (const f of sql.sort()) models.push(parseSqlModel(await readFile(f, 'utf8'), f, projectDir));
  return models;
}
