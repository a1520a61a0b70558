import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import type { PageProps } from '../app.js';
import { Chart, type ChartOption } from '../components/chart.js';
import { num, pct, when } from '../components/format.js';
import { ResultGrid } from '../components/result-grid.js';
import { Alert, Async } from '../components/status.js';
import { errorText, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { CheckResult, ColumnProfile, Lineage, ProfileHistory, Row, TableDetail, TableProfile } from '../types.js';

/** A table's page: description, schema with privacy, lineage, snapshots, profile charts, checks and sample rows. */
export function TablePage(props: PageProps) {
  const table = props.arg!;
  const detail = useApi<TableDetail>(`/v1/tables/${encodeURIComponent(table)}`);
  return (
    <section>
      <h1>{table}</h1>
      <Async state={detail}>
        {(t) => (
          <>
            <p>{t.description || <span class="muted">No description.</span>}</p>
            <dl class="facts">
              <dt>Owner</dt>
              <dd>{t.owner ?? '—'}</dd>
              <dt>Kind</dt>
              <dd>{t.kind}</dd>
              <dt>Rows</dt>
              <dd>{num(t.rows)}</dd>
              <dt>Tags</dt>
              <dd>{t.tags?.length ? t.tags.map((tag) => <span class="tag" key={tag}>{tag}</span>) : '—'}</dd>
            </dl>
            <h2>Schema</h2>
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">Column</th>
                  <th scope="col">Type</th>
                  <th scope="col">Nullable</th>
                  <th scope="col">Privacy</th>
                  <th scope="col">Doc</th>
                </tr>
              </thead>
              <tbody>
                {t.columns.map((c) => (
                  <tr key={c.name}>
                    <td>{c.name}</td>
                    <td>{c.type}</td>
                    <td>{c.nullable ? 'yes' : 'no'}</td>
                    <td>
                      <span class={`privacy privacy-${c.privacy ?? 'none'}`}>{c.privacy ?? '—'}</span>
                    </td>
                    <td>{c.doc ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Async>
      <LineageSection table={table} />
      <ProfileSection table={table} />
      {detail.data && <Snapshots snapshots={detail.data.snapshots} />}
      <ChecksSection table={table} />
      <SampleRows table={table} />
    </section>
  );
}

function LineageSection(props: { table: string }) {
  const lineage = useApi<Lineage>(`/v1/lineage/${encodeURIComponent(props.table)}`);
  const list = (names: readonly string[]) =>
    names.length ? (
      <ul class="chips">
        {names.map((n) => (
          <li key={n}>
            <a href={href('tables', n)}>{n}</a>
          </li>
        ))}
      </ul>
    ) : (
      <p class="muted">none</p>
    );
  return (
    <>
      <h2>Lineage</h2>
      <Async state={lineage}>
        {(l) => (
          <div class="lineage" role="group" aria-label="Lineage">
            <div>
              <h3>Upstream</h3>
              {list(l.upstream)}
            </div>
            <div class="lineage-self" aria-hidden="true">
              → <strong>{l.table}</strong> →
            </div>
            <div>
              <h3>Downstream</h3>
              {list(l.downstream)}
            </div>
            {(l.upstream.length > 0 || l.downstream.length > 0) && (
              <div class="lineage-graph">
                <Chart option={lineageOption(l)} label={`Lineage graph of ${l.table}: ${l.upstream.length} upstream, ${l.downstream.length} downstream (listed beside it)`} height={Math.max(120, 70 * layerHeight(l))} testid="lineage-graph" onClick={(item) => item.dataType === 'node' && item.name && item.name !== l.table && (location.hash = href('tables', item.name))} />
              </div>
            )}
            {l.model && (
              <p class="muted lineage-model">
                Built by {l.model.kind} model <code>{l.model.file}</code>
              </p>
            )}
          </div>
        )}
      </Async>
    </>
  );
}

/** Each node's column: its longest path from a node nothing in the graph feeds. */
function lineageLayers(l: Lineage): Map<string, number> {
  const nodes = [...new Set([...l.upstream, l.table, ...l.downstream])];
  const edges = l.edges ?? [...l.upstream.map((u) => [u, l.table] as const), ...l.downstream.map((d) => [l.table, d] as const)];
  const depth = new Map(nodes.map((n) => [n, 0]));
  // Longest paths by relaxing every edge as often as there are nodes (the graph has no cycles; a few dozen nodes).
  for (let i = 0; i < nodes.length; i++) for (const [from, to] of edges) depth.set(to, Math.max(depth.get(to) ?? 0, (depth.get(from) ?? 0) + 1));
  return depth;
}

/** The most nodes in one column of the lineage graph. */
function layerHeight(l: Lineage): number {
  const counts = new Map<number, number>();
  for (const d of lineageLayers(l).values()) counts.set(d, (counts.get(d) ?? 0) + 1);
  return Math.max(1, ...counts.values());
}

/** The lineage as a left-to-right graph: inputs before the models that read them; this table highlighted; a click opens a table. */
function lineageOption(l: Lineage): ChartOption {
  const depth = lineageLayers(l);
  const row = new Map<number, number>();
  const nodes = [...depth].map(([name, d]) => {
    const y = row.get(d) ?? 0;
    row.set(d, y + 1);
    const self = name === l.table;
    return { name, value: [d, y], symbolSize: self ? 18 : 12, itemStyle: { color: self ? '#d97706' : '#3b5bdb' }, label: { show: true, position: 'bottom', fontWeight: self ? 'bold' : 'normal' } };
  });
  const edges = l.edges ?? [...l.upstream.map((u) => [u, l.table] as const), ...l.downstream.map((d) => [l.table, d] as const)];
  // On hidden value axes, so that one row of nodes (all y = 0) still has a scale.
  return {
    animation: false,
    grid: { left: 90, right: 90, top: 20, bottom: 30 },
    xAxis: { type: 'value', show: false, min: -0.3, max: Math.max(...depth.values()) + 0.3 },
    yAxis: { type: 'value', show: false, inverse: true, min: -0.5, max: Math.max(...row.values()) - 0.5 },
    tooltip: { formatter: (p: { dataType?: string; name?: string; data?: { source?: string; target?: string } }) => (p.dataType === 'edge' ? `${p.data?.source} → ${p.data?.target}` : (p.name ?? '')) },
    series: [
      {
        type: 'graph',
        coordinateSystem: 'cartesian2d',
        data: nodes,
        links: edges.map(([source, target]) => ({ source, target })),
        edgeSymbol: ['none', 'arrow'],
        edgeSymbolSize: 8,
        lineStyle: { color: '#888', width: 1.5, curveness: 0.15 },
      },
    ],
  };
}

function Snapshots(props: { snapshots: TableDetail['snapshots'] }) {
  if (!props.snapshots.length) return null;
  return (
    <>
      <h2>Snapshots</h2>
      <ol class="timeline">
        {props.snapshots.map((s) => (
          <li key={s.id}>
            <time dateTime={s.committedAt}>{when(s.committedAt)}</time> <strong>#{s.id}</strong> {s.operation} <span class="muted">by {s.committer ?? '?'}</span>
            {s.summary && <span class="muted"> {Object.entries(s.summary).slice(0, 4).map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`).join(', ')}</span>}
          </li>
        ))}
      </ol>
    </>
  );
}

/** One column's chart: its top values, or its quantiles for numbers without them. */
function profileOption(c: ColumnProfile): ChartOption | null {
  const base = { animation: false, tooltip: { trigger: 'axis' }, grid: { left: 90, right: 16, top: 10, bottom: 24 } };
  if (c.top?.length) {
    const top = [...c.top].reverse();
    return { ...base, xAxis: { type: 'value' }, yAxis: { type: 'category', data: top.map((t) => String(t.value ?? '∅')) }, series: [{ type: 'bar', name: 'rows', data: top.map((t) => t.count) }] };
  }
  if (c.quantiles) {
    const q = c.quantiles;
    const points = [['min', c.min], ['p5', q.p5], ['p25', q.p25], ['p50', q.p50], ['p75', q.p75], ['p95', q.p95], ['max', c.max]] as const;
    const values = points.map(([, v]) => (typeof v === 'number' ? v : Number(v)));
    if (values.some((v) => !Number.isFinite(v))) return null;
    return { ...base, grid: { ...base.grid, left: 50 }, xAxis: { type: 'category', data: points.map(([k]) => k) }, yAxis: { type: 'value', scale: true }, series: [{ type: 'line', name: c.name, data: values }] };
  }
  return null;
}

/** Each column's null ratio per profiled snapshot (the columns that ever had nulls, up to 8). */
function nullRatioOption(history: ProfileHistory): ChartOption | null {
  const points = history.points;
  if (points.length < 2) return null;
  const names = [...new Set(points.flatMap((p) => p.columns.filter((c) => c.nulls > 0).map((c) => c.name)))].slice(0, 8);
  if (!names.length) return null;
  return {
    animation: false,
    tooltip: { trigger: 'axis', valueFormatter: (v: number) => `${Math.round(v * 10000) / 100}%` },
    legend: { top: 0, type: 'scroll' },
    grid: { left: 50, right: 16, top: 30, bottom: 30 },
    xAxis: { type: 'category', data: points.map((p) => `#${p.snapshotId}`), name: 'snapshot' },
    yAxis: { type: 'value', min: 0, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` } },
    series: names.map((n) => ({ type: 'line', name: n, data: points.map((p) => p.columns.find((c) => c.name === n)?.nullRatio ?? null), symbolSize: 6 })),
  };
}

function NullRatioHistory(props: { table: string }) {
  const history = useApi<ProfileHistory>(`/v1/tables/${encodeURIComponent(props.table)}/profile/history`);
  return (
    <Async state={history}>
      {(h) => {
        const option = nullRatioOption(h);
        return option ? (
          <figure class="card">
            <figcaption>Null ratio over time (columns that had nulls, per profiled snapshot)</figcaption>
            <Chart option={option} label={`Null ratio over time of ${props.table}`} height={200} testid="null-ratio-chart" />
          </figure>
        ) : (
          <p class="muted">{h.points.length < 2 ? `Null ratio over time: ${h.points.length} profiled snapshot(s) so far.` : 'No column has had nulls.'}</p>
        );
      }}
    </Async>
  );
}

function ProfileSection(props: { table: string }) {
  const profile = useApi<TableProfile>(`/v1/tables/${encodeURIComponent(props.table)}/profile`);
  return (
    <>
      <h2>Profile</h2>
      <NullRatioHistory table={props.table} />
      <Async state={profile}>
        {(p) =>
          p.columns.length === 0 ? (
            <p class="muted">No rows to profile.</p>
          ) : (
            <div class="cards">
              {p.columns.map((c) => {
                const option = profileOption(c);
                return (
                  <article class="card" key={c.name}>
                    <h3>{c.name}</h3>
                    <p class="muted">
                      {c.type} · nulls {pct(c.nullRatio ?? (p.rows ? c.nulls / p.rows : 0))} · distinct {num(c.distinct)}
                      {c.mean !== undefined && ` · mean ${num(c.mean)}`}
                    </p>
                    <div class="nullbar" role="img" aria-label={`null ratio ${pct(c.nullRatio ?? 0)}`}>
                      <span style={{ width: `${Math.min(100, (c.nullRatio ?? 0) * 100)}%` }} />
                    </div>
                    {option ? <Chart option={option} label={`Profile of ${c.name}`} height={170} testid="profile-chart" /> : <p class="muted">{c.privacy && c.privacy !== 'none' ? `${c.privacy}: counts only` : 'No distribution.'}</p>}
                  </article>
                );
              })}
            </div>
          )
        }
      </Async>
    </>
  );
}

interface AnomalyExpected {
  value: number;
  low: number;
  high: number;
}
/** An anomaly check observes `{ at, value }`; others a number. */
const observedValue = (o: unknown): number | null => (typeof o === 'number' ? o : o && typeof o === 'object' && typeof (o as { value?: unknown }).value === 'number' ? (o as { value: number }).value : null);
const observedAt = (r: CheckResult): string => (r.observed && typeof r.observed === 'object' && typeof (r.observed as { at?: unknown }).at === 'string' ? (r.observed as { at: string }).at : r.checkedAt);
const isBand = (e: unknown): e is AnomalyExpected => typeof e === 'object' && e !== null && typeof (e as AnomalyExpected).low === 'number' && typeof (e as AnomalyExpected).high === 'number';

function anomalyOption(results: readonly CheckResult[]): ChartOption {
  const points = [...results].sort((a, b) => observedAt(a).localeCompare(observedAt(b)));
  // One point: the band spans a padded axis so it still shows.
  const pad = points.length === 1;
  const x = [...(pad ? [''] : []), ...points.map((r) => when(observedAt(r))), ...(pad ? [' '] : [])];
  const around = <T,>(values: T[], edge: T | null): (T | null)[] => (pad ? [edge, ...values, edge] : values);
  const low = points.map((r) => (r.expected as AnomalyExpected).low);
  const width = points.map((r) => (r.expected as AnomalyExpected).high - (r.expected as AnomalyExpected).low);
  return {
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { top: 0, data: ['expected band', 'expected', 'observed'] },
    grid: { left: 60, right: 16, top: 30, bottom: 30 },
    xAxis: { type: 'category', data: x, boundaryGap: false },
    yAxis: { type: 'value', scale: true },
    series: [
      { type: 'line', name: 'low', data: around(low, low[0]!), stack: 'band', stackStrategy: 'all', lineStyle: { opacity: 0 }, symbol: 'none', tooltip: { show: false } },
      { type: 'line', name: 'expected band', data: around(width, width[0]!), stack: 'band', stackStrategy: 'all', lineStyle: { opacity: 0 }, areaStyle: { opacity: 0.25 }, symbol: 'none' },
      { type: 'line', name: 'expected', data: around(points.map((r) => (r.expected as AnomalyExpected).value), null), lineStyle: { type: 'dashed' }, symbolSize: 8 },
      { type: 'line', name: 'observed', data: around(points.map((r) => observedValue(r.observed)), null), symbolSize: 10 },
    ],
  };
}

function ChecksSection(props: { table: string }) {
  // Every result (newest first), not only the latest: the anomaly chart draws each check's band over time.
  const checks = useApi<CheckResult[]>(`/v1/checks/history?table=${encodeURIComponent(props.table)}&limit=500`);
  return (
    <>
      <h2>Checks</h2>
      <Async state={checks}>
        {(list) => {
          if (!list.length) return <p class="muted">No check results.</p>;
          const byCheck = new Map<string, CheckResult[]>();
          for (const r of list) byCheck.set(r.checkId, [...(byCheck.get(r.checkId) ?? []), r]);
          const latest = [...byCheck.values()].map((rs) => rs[0]!);
          return (
            <>
              <ChecksTable results={latest} />
              <details>
                <summary>History ({list.length} results)</summary>
                <ChecksTable results={list} />
              </details>
              {[...byCheck].filter(([, rs]) => rs.some((r) => isBand(r.expected))).map(([id, rs]) => (
                <figure key={id} class="card">
                  <figcaption>{id}: observed against the expected band</figcaption>
                  <Chart option={anomalyOption(rs.filter((r) => isBand(r.expected)))} label={`Anomaly chart of ${id}`} height={200} testid="anomaly-chart" />
                </figure>
              ))}
            </>
          );
        }}
      </Async>
    </>
  );
}

/** Check results as a table (also used by the quality page). */
export function ChecksTable(props: { results: readonly CheckResult[]; showTable?: boolean }) {
  return (
    <table class="grid">
      <thead>
        <tr>
          {props.showTable && <th scope="col">Table</th>}
          <th scope="col">Check</th>
          <th scope="col">Status</th>
          <th scope="col">Severity</th>
          <th scope="col">Observed</th>
          <th scope="col">Expected</th>
          <th scope="col">Message</th>
          <th scope="col">Checked</th>
        </tr>
      </thead>
      <tbody>
        {props.results.map((r) => (
          <tr key={r.id}>
            {props.showTable && (
              <td>
                <a href={href('tables', r.table)}>{r.table}</a>
              </td>
            )}
            <td>{r.check}</td>
            <td>
              <span class={`status status-${r.status}`}>{r.status}</span>
            </td>
            <td>{r.severity}</td>
            <td>{r.observed === undefined ? '' : isBand(r.expected) && observedValue(r.observed) !== null ? `${num(observedValue(r.observed))} at ${when(observedAt(r))}` : typeof r.observed === 'object' ? JSON.stringify(r.observed) : String(r.observed)}</td>
            <td>{r.expected === undefined ? '' : isBand(r.expected) ? `${num(r.expected.low)} … ${num(r.expected.high)}` : typeof r.expected === 'object' ? JSON.stringify(r.expected) : String(r.expected)}</td>
            <td>{r.message}</td>
            <td>{when(r.checkedAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SampleRows(props: { table: string }) {
  const [rows, setRows] = useState<readonly Row[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const ctl = new AbortController();
    api.post<Row[]>('/v1/query', { sql: `SELECT * FROM ${props.table} LIMIT 20`, limit: 20 }, ctl.signal).then(setRows, (e: unknown) => {
      if (!ctl.signal.aborted) setError(errorText(e));
    });
    return () => ctl.abort();
  }, [props.table]);
  const columns = useMemo(() => (rows?.[0] ? Object.keys(rows[0]) : []), [rows]);
  return (
    <>
      <h2>Sample rows</h2>
      {error ? <Alert>{error}</Alert> : rows ? <ResultGrid columns={columns} rows={rows} pageSize={20} label={`Sample rows of ${props.table}`} /> : <p class="muted">Loading…</p>}
    </>
  );
}
