import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdeSdkError, assign, compileExperiment, hashToUnit, variantThresholds, type Experiment } from './index.js';

const N = 100_000;
const ids = Array.from({ length: N }, (_, i) => `user-${i}`);

const abc: Experiment = {
  key: 'checkout_button',
  status: 'running',
  variants: [
    { name: 'control', weight: 1 },
    { name: 'green', weight: 1 },
    { name: 'big', weight: 2 },
  ],
};

/** Share of `ids` per variant name among units in the experiment, and the share in it. */
function split(experiment: Experiment, attributes = {}) {
  const counts = new Map<string, number>();
  let inside = 0;
  for (const id of ids) {
    const a = assign(experiment, id, attributes);
    if (!a.inExperiment) continue;
    inside++;
    counts.set(a.variant, (counts.get(a.variant) ?? 0) + 1);
  }
  return { inside: inside / N, share: (name: string) => (counts.get(name) ?? 0) / inside };
}

describe('assign', () => {
  it('should split 100k units by the normalised weights, each within 1 point', () => {
    const s = split(abc);
    assert.equal(s.inside, 1);
    assert.ok(Math.abs(s.share('control') - 0.25) < 0.01, `control ${s.share('control')}`);
    assert.ok(Math.abs(s.share('green') - 0.25) < 0.01, `green ${s.share('green')}`);
    assert.ok(Math.abs(s.share('big') - 0.5) < 0.01, `big ${s.share('big')}`);
    const uneven = split({ ...abc, variants: [{ name: 'a', weight: 90 }, { name: 'b', weight: 10 }] });
    assert.ok(Math.abs(uneven.share('b') - 0.1) < 0.01);
  });

  it('should give the same unit the same variant every time, and follow the documented formula', () => {
    for (const id of ids.slice(0, 1000)) {
      const a = assign(abc, id);
      assert.deepEqual(assign(abc, id), a);
      const bucket = hashToUnit(`checkout_button:${id}`);
      assert.equal(a.hashValue, bucket);
      const expected = bucket < 0.25 ? 'control' : bucket < 0.5 ? 'green' : 'big';
      assert.equal(a.variant, expected);
    }
  });

  it('should hash with the seed instead of the key when one is given', () => {
    const seeded = { ...abc, seed: 'reshuffle-2' };
    assert.equal(assign(seeded, 'user-1').hashValue, hashToUnit('reshuffle-2:user-1'));
    const moved = ids.slice(0, 1000).filter((id) => assign(seeded, id).variant !== assign(abc, id).variant).length;
    assert.ok(moved > 500, 'a new seed reshuffles units');
  });

  it('should leave out units whose bucket is at or above the coverage, and keep the split among the rest', () => {
    const covered = { ...abc, coverage: 0.3 };
    const s = split(covered);
    assert.ok(Math.abs(s.inside - 0.3) < 0.01, `in ${s.inside}`);
    assert.ok(Math.abs(s.share('big') - 0.5) < 0.01);
    for (const id of ids.slice(0, 2000)) {
      const a = assign(covered, id);
      assert.equal(a.inExperiment, a.hashValue < 0.3);
      if (!a.inExperiment) assert.deepEqual([a.reason, a.variant, a.variationIndex], ['coverage', 'control', 0]);
    }
    assert.equal(split({ ...abc, coverage: 0 }).inside, 0);
  });

  it('should never put a unit in two experiments of one namespace with disjoint ranges, and keep each split fair', () => {
    const left: Experiment = { ...abc, key: 'left', namespace: { name: 'checkout', range: [0, 0.4] } };
    const right: Experiment = { ...abc, key: 'right', namespace: { name: 'checkout', range: [0.4, 1] } };
    let inLeft = 0;
    let inRight = 0;
    for (const id of ids) {
      const l = assign(left, id).inExperiment;
      const r = assign(right, id).inExperiment;
      assert.ok(!(l && r), `${id} is in both`);
      if (l) inLeft++;
      if (r) inRight++;
      assert.equal(l, hashToUnit(`checkout__${id}`) < 0.4);
    }
    assert.ok(Math.abs(inLeft / N - 0.4) < 0.01 && Math.abs(inRight / N - 0.6) < 0.01, `${inLeft} ${inRight}`);
    // The namespace hash is independent of the experiment's: the units a range keeps still split by the weights.
    const s = split(left);
    assert.ok(Math.abs(s.share('control') - 0.25) < 0.01 && Math.abs(s.share('big') - 0.5) < 0.01, `${s.share('control')} ${s.share('big')}`);
    assert.equal(assign(right, ids.find((id) => assign(left, id).inExperiment)!).reason, 'namespace');
  });

  it('should assign only units whose attributes match every targeting condition', () => {
    const targeted: Experiment = { ...abc, targeting: { country: ['NL', 'BE'], beta: true } };
    assert.equal(assign(targeted, 'user-1', { country: 'NL', beta: true }).reason, 'assigned');
    assert.equal(assign(targeted, 'user-1', { country: 'BE', beta: true, plan: 'pro' }).reason, 'assigned');
    assert.equal(assign(targeted, 'user-1', { country: 'DE', beta: true }).reason, 'targeting');
    assert.equal(assign(targeted, 'user-1', { country: 'NL', beta: 'true' }).reason, 'targeting', 'compared with ===');
    assert.equal(assign(targeted, 'user-1', { country: 'NL' }).reason, 'targeting', 'a missing attribute never matches');
    assert.equal(assign(targeted, 'user-1', { country: null, beta: true }).reason, 'targeting');
    assert.equal(assign(targeted, 'user-1').variant, 'control');
    const s = split(targeted, { country: 'BE', beta: true });
    assert.equal(s.inside, 1);
    assert.ok(Math.abs(s.share('big') - 0.5) < 0.01);
  });

  it('should give the control to everyone while the experiment is a draft or stopped', () => {
    for (const status of ['draft', 'stopped'] as const) {
      for (const id of ids.slice(0, 1000)) {
        const a = assign({ ...abc, status }, id);
        assert.deepEqual([a.inExperiment, a.variant, a.variationIndex, a.reason], [false, 'control', 0, 'not_running']);
      }
    }
  });

  it('should give forced units their variant in any status, outside the experiment (no exposure counts)', () => {
    const qa: Experiment = { ...abc, status: 'draft', forcedVariations: { 'qa-1': 'big', 'qa-2': 1 } };
    assert.deepEqual(pick(assign(qa, 'qa-1')), ['big', 2, false, 'forced']);
    assert.deepEqual(pick(assign(qa, 'qa-2')), ['green', 1, false, 'forced']);
    assert.equal(assign(qa, 'user-3').reason, 'not_running');
    assert.throws(() => assign({ ...abc, forcedVariations: { x: 'purple' } }, 'x'), (e: unknown) => e instanceof AdeSdkError && e.code === 'experiment.invalid' && /purple/.test(e.message));
  });

  it('should let the global override map win over everything, and refuse an override naming no variant', () => {
    const overrides = { checkout_button: 'green' };
    for (const status of ['draft', 'running', 'stopped'] as const) {
      assert.deepEqual(pick(assign({ ...abc, status, forcedVariations: { u: 'big' } }, 'u', {}, { overrides })), ['green', 1, false, 'override']);
    }
    assert.equal(assign(abc, 'u', {}, { overrides: { other_experiment: 'x' } }).reason, 'assigned');
    assert.throws(() => assign(abc, 'u', {}, { overrides: { checkout_button: 'purple' } }), (e: unknown) => e instanceof AdeSdkError && e.code === 'experiment.override');
  });

  it('should leave out an empty unit id', () => {
    assert.equal(assign(abc, '').reason, 'no_unit');
  });

  it('should never assign a variant of weight 0, and nobody when every weight is 0', () => {
    const zero: Experiment = { ...abc, variants: [{ name: 'a', weight: 1 }, { name: 'off', weight: 0 }, { name: 'b', weight: 1 }] };
    assert.equal(split(zero).share('off'), 0);
    assert.equal(split({ ...abc, variants: [{ name: 'a', weight: 0 }] }).inside, 0);
  });

  it('should compute thresholds as coverage × cumulative normalised weights, the last exactly the coverage', () => {
    assert.deepEqual(variantThresholds([1, 1, 2], 0.5), [0.125, 0.25, 0.5]);
    assert.deepEqual(variantThresholds([1, 1, 1], 1).at(-1), 1);
    assert.deepEqual(compileExperiment({ key: 'k', status: 'running', variants: [{ name: 'a' }, { name: 'b', weight: 3 }] }).thresholds, [0.25, 1]);
  });

  it('should refuse invalid definitions with the field and a hint', () => {
    const bad: [Partial<Experiment>, RegExp][] = [
      [{ variants: [] }, /variants/],
      [{ variants: [{ name: 'a' }, { name: 'a' }] }, /repeats "a"/],
      [{ variants: [{ name: 'a', weight: -1 }] }, /weight/],
      [{ coverage: 1.5 }, /coverage/],
      [{ status: 'paused' as never }, /status/],
      [{ namespace: { name: 'n', range: [0.6, 0.2] } }, /namespace\.range/],
      [{ key: '' }, /key/],
    ];
    for (const [patch, message] of bad) {
      assert.throws(
        () => assign({ ...abc, ...patch }, 'u'),
        (e: unknown) => e instanceof AdeSdkError && e.code === 'experiment.invalid' && message.test(e.message) && e.hint !== undefined,
        JSON.stringify(patch),
      );
    }
  });
});

function pick(a: { variant: string; variationIndex: number; inExperiment: boolean; reason: string }) {
  return [a.variant, a.variationIndex, a.inExperiment, a.reason];
}
