import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { atLeast, type PageProps } from '../app.js';
import { Chart } from '../components/chart.js';
import { chartOption, guessSpec } from '../components/chart-spec.js';
import { defaultRange, getDashboard, getQuery, putDashboard, rangeParams } from '../components/dashboard-store.js';
import { ResultGrid } from '../components/result-grid.js';
import { Alert, Async } from '../components/status.js';
import { errorText, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { Dashboard, DashboardTile, Row } from '../types.js';

/** Dashboards: the list, or one dashboard as a grid of its saved queries' charts. */
export function DashboardsPage(props: PageProps) {
  return props.arg ? <DashboardView name={props.arg} canEdit={atLeast(props.me, 'analyst')} /> : <DashboardList />;
}

function DashboardList() {
  const list = useApi<{ dashboards: unknown[] } | unknown[]>('/v1/dashboards');
  return (
    <section>
      <h1>Dashboards</h1>
      <Async state={list}>
        {(body) => {
          const items = Array.isArray(body) ? body : body.dashboards;
          const names = items.map((d) => (typeof d === 'string' ? { name: d, title: d } : (d as { name: string; title?: string })));
          return names.length ? (
            <ul class="hits">
              {names.map((d) => (
                <li key={d.name}>
                  <a href={href('dashboards', d.name)}>{d.title ?? d.name}</a> {d.title && d.title !== d.name && <span class="muted">{d.name}</span>}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">No dashboards yet: run a query in the SQL workbench and “Add to dashboard”.</p>
          );
        }}
      </Async>
    </section>
  );
}

function DashboardView(props: { name: string; canEdit: boolean }) {
  const [dashboard, setDashboard] = useState<Dashboard | null>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [title, setTitle] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [range, setRange] = useState({ from: '', to: '' });
  useEffect(() => {
    getDashboard(props.name).then(
      (d) => {
        setDashboard(d);
        setTitle(d?.title ?? props.name);
        // The dashboard's own default range (dateRange.default in its file) applies when it opens.
        const initial = defaultRange((d?.dateRange as { default?: string } | undefined)?.default, new Date());
        if (initial) {
          setFrom(initial.from);
          setTo(initial.to);
          setRange(initial);
        }
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [props.name]);
  if (error) return <Alert>{error}</Alert>;
  if (dashboard === undefined) return <p class="muted">Loading…</p>;
  if (dashboard === null) return <Alert>No dashboard {props.name}.</Alert>;
  const save = async () => {
    try {
      const next = { ...dashboard, title };
      await putDashboard(props.name, next);
      setDashboard(next);
      setNotice('Dashboard saved.');
    } catch (e) {
      setError(errorText(e));
    }
  };
  const remove = (query: string) => setDashboard({ ...dashboard, tiles: dashboard.tiles.filter((t) => t.query !== query) });
  return (
    <section>
      <h1>{dashboard.title ?? props.name}</h1>
      <form
        class="toolbar"
        aria-label="Date range"
        onSubmit={(e) => {
          e.preventDefault();
          setRange({ from, to });
        }}
      >
        <label>
          From
          <input type="date" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          To
          <input type="date" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Apply range</button>
        <span class="muted">Queries that use $from / $to get the range.</span>
      </form>
      <div class="toolbar">
        <label>
          Title
          <input value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={() => void save()} disabled={!props.canEdit} aria-describedby={props.canEdit ? undefined : 'edit-note'}>
          Save dashboard
        </button>
        {!props.canEdit && (
          <span id="edit-note" class="muted">
            Editing dashboards needs an analyst token or stronger.
          </span>
        )}
      </div>
      {notice && <p role="status">{notice}</p>}
      {dashboard.tiles.length === 0 && <p class="muted">No tiles.</p>}
      <div class="tiles">
        {dashboard.tiles.map((t) => (
          <Tile key={t.query} tile={t} from={range.from} to={range.to} onRemove={() => remove(t.query)} />
        ))}
      </div>
    </section>
  );
}

function Tile(props: { tile: DashboardTile; from: string; to: string; onRemove: () => void }) {
  const [rows, setRows] = useState<Row[]>();
  const [chart, setChart] = useState(props.tile.chart ?? null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    const ctl = new AbortController();
    setError(undefined);
    getQuery(props.tile.query)
      .then((q) => {
        if (!props.tile.chart && q.chart) setChart(q.chart);
        const params = rangeParams(q.sql, props.from, props.to);
        return api.post<Row[]>('/v1/query', { sql: q.sql, limit: 5000, ...(params ? { params } : {}) }, ctl.signal);
      })
      .then(setRows, (e: unknown) => {
        if (!ctl.signal.aborted) setError(errorText(e));
      });
    return () => ctl.abort();
  }, [props.tile.query, props.from, props.to]);
  const columns = useMemo(() => (rows?.[0] ? Object.keys(rows[0]) : []), [rows]);
  const option = useMemo(() => (rows && columns.length ? chartOption(chart ?? guessSpec('bar', columns, rows), rows) : null), [rows, chart, columns]);
  const title = props.tile.title ?? props.tile.query;
  return (
    <article class="card tile">
      <header>
        <h2>
          <a href={href('sql', props.tile.query)}>{title}</a>
        </h2>
        <button type="button" aria-label={`Remove tile ${title}`} onClick={props.onRemove}>
          Remove
        </button>
      </header>
      {error ? <Alert>{error}</Alert> : !rows ? <p class="muted">Running…</p> : option ? <Chart option={option} label={`Chart of ${title}`} height={240} /> : <ResultGrid columns={columns} rows={rows} pageSize={10} label={title} />}
    </article>
  );
}
