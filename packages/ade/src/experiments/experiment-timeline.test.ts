import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExperimentAnalysis } from './analyze-experiment.js';
import { dayBoundaries, experimentTimeline } from './experiment-timeline.js';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

describe('dayBoundaries', () => {
  it('should give every UTC midnight after the start, then now', () => {
    const now = new Date('2026-05-04T15:30:00Z');
    assert.deepEqual(iso(dayBoundaries({ start: new Date('2026-05-01T09:00:00Z') }, now, 30)), [
      '2026-05-02T00:00:00.000Z',
      '2026-05-03T00:00:00.000Z',
      '2026-05-04T00:00:00.000Z',
      '2026-05-04T15:30:00.000Z',
    ]);
  });

  it('should end at the stop when the experiment stopped, and thin long runs evenly, keeping the end', () => {
    const stop = new Date('2026-05-31T00:00:00Z');
    const points = dayBoundaries({ start: new Date('2026-05-01T00:00:00Z'), stop }, new Date('2026-11-28T00:00:00Z'), 10);
    assert.ok(points.length <= 10 && points.length >= 8, `${points.length}`);
    assert.equal(points.at(-1)!.toISOString(), stop.toISOString());
    const gaps = points.slice(1).map((d, i) => (d.getTime() - points[i]!.getTime()) / 86_400_000);
    assert.ok(new Set(gaps).size === 1, `even gaps: ${gaps.join(',')}`);
  });

  it('should take the last days when the experiment has no start', () => {
    const now = new Date('2026-11-28T12:00:00Z');
    assert.deepEqual(iso(dayBoundaries({}, now, 3)), ['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z', '2026-11-28T12:00:00.000Z']);
  });
});

function analysis(asOf: string, configHash: string, relative: number | null): ExperimentAnalysis {
  const tested = (estimate: number) => ({ estimate, standardError: 0.1, statistic: estimate / 0.1, ci: [estimate - 0.2, estimate + 0.2] as const, pValue: 0.3 });
  const posterior = { mean: 0, stdDev: 1, chanceToWin: 0.7, risk: { control: 0, treatment: 0 }, credibleInterval: [0, 1] as const };
  return {
    experiment: 'checkout',
    asOf,
    configHash,
    control: 'control',
    units: [
      { variant: 'control', units: 10 },
      { variant: 'treatment', units: 11 },
    ],
    multipleExposures: 0,
    srm: null,
    correction: 'holm',
    metrics: [
      {
        metric: 'purchased',
        type: 'mean',
        role: 'primary',
        higherIsBetter: true,
        variants: [],
        comparisons: [
          {
            variant: 'treatment',
            frequentist: { alpha: 0.05, alternative: 'two-sided', df: 19, absolute: tested(0.5), relative: relative === null ? null : tested(relative) },
            bayesian: { alpha: 0.05, absolute: posterior, relative: null },
            sequential: {} as never,
            adjustedPValue: 0.4,
          },
        ],
      },
    ],
  } as unknown as ExperimentAnalysis;
}

describe('experimentTimeline', () => {
  it("should keep the newest configuration's analyses, oldest first, with the relative effect (else absolute) and its interval", () => {
    const records = [analysis('2026-05-03T00:00:00.000Z', 'new', null), analysis('2026-05-02T00:00:00.000Z', 'new', 0.1), analysis('2026-05-01T00:00:00.000Z', 'old', 0.9)].map((a) => ({
      asOf: new Date(a.asOf),
      result: a,
    }));
    const { points } = experimentTimeline('checkout', records);
    assert.deepEqual(
      points.map((p) => [p.asOf, p.metrics[0]!.scale, p.metrics[0]!.effect, p.metrics[0]!.ciLow]),
      [
        ['2026-05-02T00:00:00.000Z', 'relative', 0.1, 0.1 - 0.2],
        ['2026-05-03T00:00:00.000Z', 'absolute', 0.5, 0.5 - 0.2],
      ],
    );
    assert.equal(points[0]!.metrics[0]!.chanceToWin, 0.7);
    assert.deepEqual(experimentTimeline('checkout', []).points, []);
  });
});
