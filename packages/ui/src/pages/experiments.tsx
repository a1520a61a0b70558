import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { atLeast, type PageProps } from '../app.js';
import { num, pct, when } from '../components/format.js';
import { DataTable } from '../components/data-table.js';
import { Alert, Async } from '../components/status.js';
import { useAction, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { ExperimentAnalysis, ExperimentDetail, ExperimentSummary, TimelinePoint } from '../types.js';
import { Chart, type ChartOption } from '../components/chart.js';

/** Experiments: the list, or one experiment's latest stored analysis. */
export function ExperimentsPage(props: PageProps) {
  return props.arg ? <ExperimentView name={props.arg} canAnalyze={atLeast(props.me, 'analyst')} /> : <ExperimentList />;
}

const variantName = (v: ExperimentSummary['variants'][number]) => (typeof v === 'string' ? v : (v.key ?? v.name ?? '?'));

function ExperimentList() {
  const list = useApi<ExperimentSummary[]>('/v1/experiments');
  return (
    <section>
      <h1>Experiments</h1>
      <Async state={list}>
        {(items) => (
          <DataTable
            items={items}
            rowKey={(e) => e.key}
            empty="No experiments in ade.yaml."
            columns={[
              { header: 'Experiment', cell: (e) => <a href={href('experiments', e.key)}>{e.key}</a> },
              { header: 'Status', cell: (e) => e.status },
              { header: 'Variants', cell: (e) => e.variants.map(variantName).join(', ') },
              { header: 'Owner', cell: (e) => e.owner ?? '' },
              { header: 'Last analysis', cell: (e) => when(e.lastAnalysis) },
              { header: 'Hypothesis', cell: (e) => e.hypothesis ?? '' },
            ]}
          />
        )}
      </Async>
    </section>
  );
}

const ci = (c: readonly (number | null)[] | undefined, f: (v: number) => string) => (c ? `[${c[0] === null ? '-∞' : f(c[0])}, ${c[1] === null ? '∞' : f(c[1])}]` : '—');

function Results(props: { analysis: ExperimentAnalysis }) {
  const a = props.analysis;
  return (
    <table class="grid" data-testid="experiment-results" aria-label="Experiment results">
      <thead>
        <tr>
          <th scope="col">Metric</th>
          <th scope="col">Role</th>
          <th scope="col">Variant</th>
          <th scope="col">Units</th>
          <th scope="col">Estimate</th>
          <th scope="col">Effect (relative)</th>
          <th scope="col">95% CI</th>
          <th scope="col">p-value (adjusted)</th>
          <th scope="col">Chance to win</th>
          <th scope="col">Power: MDE</th>
        </tr>
      </thead>
      <tbody>
        {a.metrics.flatMap((m) => {
          if (m.error)
            return [
              <tr key={m.metric}>
                <th scope="row">{m.metric}</th>
                <td>{m.role}</td>
                <td colSpan={8}>
                  <span class="status status-error">{m.error.message}</span>
                </td>
              </tr>,
            ];
          return m.variants.map((v) => {
            const c = m.comparisons.find((x) => x.variant === v.variant);
            const rel = c?.frequentist.relative;
            const eff = rel ?? c?.frequentist.absolute;
            const fmt = rel ? (x: number) => pct(x) : (x: number) => num(x);
            const p = c?.adjustedPValue;
            const win = c ? (c.bayesian.relative ?? c.bayesian.absolute).chanceToWin : undefined;
            const good = c && p !== undefined && p < 0.05 ? ((eff?.estimate ?? 0) > 0) === m.higherIsBetter : undefined;
            return (
              <tr key={`${m.metric}:${v.variant}`} class={good === true ? 'win' : good === false ? 'lose' : ''}>
                <th scope="row">{m.metric}</th>
                <td>{m.role}</td>
                <td>
                  {v.variant}
                  {v.variant === a.control ? ' (control)' : ''}
                </td>
                <td>{num(v.n)}</td>
                <td>{num(v.estimate, 4)}</td>
                <td>{eff ? fmt(eff.estimate) : '—'}</td>
                <td>{eff ? ci(eff.ci, fmt) : '—'}</td>
                <td>{p === undefined ? '—' : num(p, 3)}</td>
                <td>{win === undefined ? '—' : pct(win)}</td>
                <td>{m.power && v.variant === a.control ? `${m.power.mdeRelative !== null ? pct(m.power.mdeRelative) : num(m.power.mdeAbsolute)}${m.power.unitsPerVariantForMde ? `; ${num(m.power.unitsPerVariantForMde)} units/variant needed` : ''}` : ''}</td>
              </tr>
            );
          });
        })}
      </tbody>
    </table>
  );
}

function ExperimentView(props: { name: string; canAnalyze: boolean }) {
  const detail = useApi<ExperimentDetail>(`/v1/experiments/${encodeURIComponent(props.name)}`);
  const [fresh, setFresh] = useState<ExperimentAnalysis>();
  const { busy, error, run } = useAction();
  const analyze = () =>
    run(async () => {
      setFresh(await api.post<ExperimentAnalysis>(`/v1/experiments/${encodeURIComponent(props.name)}/analyze`, {}));
      detail.reload();
    });
  return (
    <section>
      <h1>Experiment {props.name}</h1>
      <div class="toolbar">
        <button type="button" onClick={() => void analyze()} disabled={!props.canAnalyze || busy} aria-describedby={props.canAnalyze ? undefined : 'analyze-note'}>
          {busy ? 'Analyzing…' : 'Analyze now'}
        </button>
        {!props.canAnalyze && (
          <span id="analyze-note" class="muted">
            Analyses run queries: they need an analyst token or stronger.
          </span>
        )}
      </div>
      {error && <Alert>{error}</Alert>}
      <Async state={detail}>
        {(d) => {
          const a = fresh ?? d.latest;
          return (
            <>
              {d.experiment.hypothesis && <p>{String(d.experiment.hypothesis)}</p>}
              <dl class="facts">
                <dt>Status</dt>
                <dd>{String(d.experiment.status ?? '—')}</dd>
                <dt>Owner</dt>
                <dd>{String(d.experiment.owner ?? '—')}</dd>
                <dt>As of</dt>
                <dd>{a ? when(a.asOf) : '—'}</dd>
              </dl>
              {!a ? (
                <p class="muted">No stored analysis yet{props.canAnalyze ? ': “Analyze now” runs one.' : '.'}</p>
              ) : (
                <>
                  <h2>Sample ratio</h2>
                  {a.srm ? (
                    <p class={a.srm.mismatch ? 'status status-fail' : 'status status-pass'} role="status">
                      {a.srm.mismatch ? 'Sample ratio mismatch' : 'No sample ratio mismatch'}: χ² {num(a.srm.chiSquare)}, p = {num(a.srm.pValue)} (threshold {a.srm.threshold}); units {a.units.map((u) => `${u.variant} ${num(u.units)}`).join(', ')}
                    </p>
                  ) : (
                    <p class="muted">No SRM test (one variant or no exposures).</p>
                  )}
                  {a.multipleExposures > 0 && <p class="muted">{num(a.multipleExposures)} units seen in more than one variant were left out.</p>}
                  <h2>Results</h2>
                  <p class="muted">Correction: {a.correction}. Effects are relative to {a.control} (absolute when the control mean is 0).</p>
                  <Results analysis={a} />
                </>
              )}
              <Timeline name={props.name} canAnalyze={props.canAnalyze} onComputed={detail.reload} />
              <details>
                <summary>Stored analyses ({d.analyses.length})</summary>
                <ul class="muted">
                  {d.analyses.map((x) => (
                    <li key={x.id}>
                      as of {when(x.asOf)} — computed {when(x.computedAt)} by {x.computedBy}
                    </li>
                  ))}
                </ul>
              </details>
            </>
          );
        }}
      </Async>
    </section>
  );
}

/** The cumulative effect of each metric over time: per treatment, the effect as of each stored analysis and its 95% interval. */
function timelineOption(points: readonly TimelinePoint[], metric: string): ChartOption {
  const x = points.map((p) => p.asOf.slice(0, 10));
  const variants = [...new Set(points.flatMap((p) => p.metrics.filter((m) => m.metric === metric).map((m) => m.variant)))];
  const at = (p: TimelinePoint, v: string) => p.metrics.find((m) => m.metric === metric && m.variant === v);
  const finite = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : null);
  const series = variants.flatMap((v) => [
    { type: 'line', name: `${v} low`, data: points.map((p) => finite(at(p, v)?.ciLow)), stack: `band-${v}`, stackStrategy: 'all', lineStyle: { opacity: 0 }, symbol: 'none', tooltip: { show: false } },
    {
      type: 'line',
      name: `${v} 95% CI`,
      data: points.map((p) => {
        const m = at(p, v);
        const [lo, hi] = [finite(m?.ciLow), finite(m?.ciHigh)];
        return lo === null || hi === null ? null : hi - lo;
      }),
      stack: `band-${v}`,
      stackStrategy: 'all',
      lineStyle: { opacity: 0 },
      areaStyle: { opacity: 0.2 },
      symbol: 'none',
    },
    { type: 'line', name: v, data: points.map((p) => finite(at(p, v)?.effect)), symbolSize: 6 },
  ]);
  const relative = points.some((p) => p.metrics.some((m) => m.metric === metric && m.scale === 'relative'));
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: variants.flatMap((v) => [v, `${v} 95% CI`]) },
    grid: { left: 60, right: 16, top: 36, bottom: 30 },
    xAxis: { type: 'category', data: x, boundaryGap: false },
    yAxis: { type: 'value', scale: true, axisLabel: relative ? { formatter: (v: number) => `${Math.round(v * 1000) / 10}%` } : {} },
    series: [...series, { type: 'line', name: 'no effect', data: points.map(() => 0), lineStyle: { type: 'dotted', color: '#888' }, symbol: 'none', tooltip: { show: false } }],
  };
}

function Timeline(props: { name: string; canAnalyze: boolean; onComputed: () => void }) {
  const path = `/v1/experiments/${encodeURIComponent(props.name)}/timeline`;
  const timeline = useApi<{ points: TimelinePoint[] }>(path);
  const { busy, error, run } = useAction();
  const compute = () =>
    run(async () => {
      await api.post(path, {});
      timeline.reload();
      props.onComputed();
    });
  return (
    <>
      <h2>Cumulative effect over time</h2>
      <div class="toolbar">
        <button type="button" onClick={() => void compute()} disabled={!props.canAnalyze || busy}>
          {busy ? 'Computing…' : 'Compute daily history'}
        </button>
        <span class="muted">One analysis per day since the start (at most 30 points), each over everything up to that day.</span>
      </div>
      {error && <Alert>{error}</Alert>}
      <Async state={timeline}>
        {(t) => {
          if (t.points.length < 2) return <p class="muted">{t.points.length} stored analysis{props.canAnalyze ? ': “Compute daily history” fills the timeline.' : '.'}</p>;
          const metrics = [...new Set(t.points.flatMap((p) => p.metrics.map((m) => m.metric)))];
          return (
            <div class="cards">
              {metrics.map((m) => (
                <figure class="card" key={m}>
                  <figcaption>{m}: effect against the control as of each day, with its 95% interval</figcaption>
                  <Chart option={timelineOption(t.points, m)} label={`Cumulative effect of ${m} over time`} height={220} testid="experiment-timeline" />
                </figure>
              ))}
            </div>
          );
        }}
      </Async>
    </>
  );
}
