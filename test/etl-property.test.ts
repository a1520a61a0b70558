// The ETL property: whatever the order in which source batches arrive, however
// often `ade run` runs (all models or some, once or twice in a row), and
// wherever a run dies, the final run leaves every model equal to one build
// from scratch over the surviving inputs (rows compared as sorted hashes,
// without ade_batch_id), every model fresh, and a repeat run writes nothing.
//
//   node --import tsx --test test/etl-property.test.ts
//   ADE_PROPERTY_SEED=123 ADE_PROPERTY_RUNS=1000 node --import tsx --test test/etl-property.test.ts
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_ENGINE_CONFIG, Engine } from '../packages/ade/src/engine/index.js';
import { verifyLake } from '../packages/ade/src/lake/index.js';
import type { ModelGraph } from '../packages/ade/src/models/index.js';
import {
  BUILD,
  buildOracle,
  CaseLake,
  diffRows,
  ENGINEER,
  graphOf,
  MODEL_TABLES,
  notFresh,
  playScenario,
  scenarioArb,
  snapshotIds,
  tableRows,
  writeProject,
  type Step,
} from './support/etl-harness.js';
import { runModels } from '../packages/ade/src/models/index.js';

const SEED = Number(process.env.ADE_PROPERTY_SEED ?? 20261127);
const RUNS = Number(process.env.ADE_PROPERTY_RUNS ?? 200);

describe('ETL property: any cadence, repeats and crashes converge to the from-scratch build', () => {
  let dir: string;
  let engine: Engine;
  let graph: ModelGraph;
  let cases = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ade-etl-prop-'));
    await writeProject(join(dir, 'project'));
    graph = await graphOf(join(dir, 'project'));
    engine = await Engine.create({ ...DEFAULT_ENGINE_CONFIG, threads: 1, tempDir: join(dir, 'tmp') });
  });
  after(async () => {
    await engine?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** One case: the scenario on one lake, the oracle on another; returns a description of what differs (empty: nothing). */
  async function check(steps: readonly Step[]): Promise<string[]> {
    const n = ++cases;
    const incremental = await CaseLake.open(join(dir, `c${n}`, 'incremental'), engine);
    const scratch = await CaseLake.open(join(dir, `c${n}`, 'scratch'), engine);
    const problems: string[] = [];
    try {
      const { trace, final } = await playScenario(incremental, graph, steps);
      const failedFinal = final.filter((r) => r.status === 'failed');
      if (failedFinal.length) problems.push(`final run failed: ${failedFinal.map((r) => `${r.table}: ${r.error}`).join('; ')}`);
      const oracle = await buildOracle(scratch, graph, trace);
      const failedOracle = oracle.filter((r) => r.status === 'failed');
      if (failedOracle.length) problems.push(`from-scratch run failed: ${failedOracle.map((r) => `${r.table}: ${r.error}`).join('; ')}`);
      for (const t of MODEL_TABLES) {
        const d = diffRows(t, await tableRows(incremental.base, t), await tableRows(scratch.base, t));
        if (d) problems.push(`${t} differs: only incremental ${JSON.stringify(d.onlyIncremental)}; only from scratch ${JSON.stringify(d.onlyScratch)}`);
      }
      const stale = await notFresh(incremental.base, graph);
      if (stale.length) problems.push(`not fresh after the final run: ${stale.join(' | ')}`);
      const before = await snapshotIds(incremental.base, MODEL_TABLES);
      const again = await runModels(incremental.base, ENGINEER, graph, BUILD);
      const afterIds = await snapshotIds(incremental.base, MODEL_TABLES);
      const moved = MODEL_TABLES.filter((t) => before[t] !== afterIds[t]);
      if (moved.length) problems.push(`a repeat run committed to ${moved.join(', ')} (${again.filter((r) => r.status === 'built').map((r) => `${r.table}: ${r.reasons.join('; ')}`).join(' | ')})`);
      const verified = await verifyLake(incremental.base);
      if (verified.problems.length) problems.push(`verify: ${verified.problems.map((p) => `${p.table}: ${p.problem}`).join('; ')}`);
      if (problems.length) problems.push(`trace:\n    ${trace.events.join('\n    ')}`);
    } finally {
      await incremental.close();
      await scratch.close();
      await rm(join(dir, `c${n}`), { recursive: true, force: true });
    }
    return problems;
  }

  it(`should hold for ${RUNS} generated scenarios (seed ${SEED})`, { timeout: 900_000 }, async () => {
    console.log(`ETL property: seed ${SEED}, ${RUNS} runs (override with ADE_PROPERTY_SEED, ADE_PROPERTY_RUNS)`);
    await fc.assert(
      fc.asyncProperty(scenarioArb(), async (steps) => {
        const problems = await check(steps);
        assert.deepEqual(problems, []);
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: false },
    );
  });
});
