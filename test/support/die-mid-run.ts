// A process that runs `ade run` in process on a case lake and dies for real
// (SIGKILL to itself) at the `at`-th lake mutation, before it or just after
// it took effect: the pid it recorded on its runs is then gone for good.
//   node --import tsx test/support/die-mid-run.ts <case lake dir> <project dir> <at> <before|after>
import { DEFAULT_ENGINE_CONFIG, Engine } from '../../packages/ade/src/engine/index.js';
import { runModels } from '../../packages/ade/src/models/index.js';
import { BUILD, CaseLake, CrashSwitch, ENGINEER, graphOf } from './etl-harness.js';

const [lakeDir, projectDir, at, when] = process.argv.slice(2) as [string, string, string, string];
const engine = await Engine.create({ ...DEFAULT_ENGINE_CONFIG, threads: 1, tempDir: `${lakeDir}-tmp` });
const cl = await CaseLake.open(lakeDir, engine);
const sw = new CrashSwitch(Number(at), when === 'after');
await runModels(cl.process(sw), ENGINEER, await graphOf(projectDir), BUILD).catch(() => undefined);
await sw.settled();
process.stdout.write(`died ${sw.diedAt ?? 'never'}\n`);
process.kill(process.pid, 'SIGKILL');
