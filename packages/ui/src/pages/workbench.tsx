import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { atLeast, type PageProps } from '../app.js';
import { Chart } from '../components/chart.js';
import { CHART_TYPES, chartOption, guessSpec } from '../components/chart-spec.js';
import { download, toCsv } from '../components/csv.js';
import { addTile, getQuery, queryPath } from '../components/dashboard-store.js';
import { ResultGrid } from '../components/result-grid.js';
import { SqlEditor, type SqlSchema } from '../components/sql-editor.js';
import { Alert } from '../components/status.js';
import { errorText } from '../components/use-api.js';
import type { ChartSpec, Row, TableDetail, TableSummary } from '../types.js';

const ROW_LIMIT = 10_000;

let schemaCache: Promise<SqlSchema> | undefined;
/** Every readable table's columns, for completion (fetched once per page load). */
function loadSchema(): Promise<SqlSchema> {
  return (schemaCache ??= api.get<TableSummary[]>('/v1/tables').then(async (tables) => {
    const schema: SqlSchema = {};
    const details = await Promise.all(tables.slice(0, 150).map((t) => api.get<TableDetail>(`/v1/tables/${encodeURIComponent(t.table)}`).catch(() => null)));
    tables.slice(0, 150).forEach((t, i) => {
      const [zone = '', name = ''] = t.table.split('.');
      (schema[zone] ??= {})[name] = details[i]?.columns.map((c) => c.name) ?? [];
    });
    return schema;
  }));
}

/** The SQL workbench: editor, run/cancel, paged result, chart builder, save, CSV and add to a dashboard. */
export function WorkbenchPage(props: PageProps) {
  const canSave = atLeast(props.me, 'analyst');
  const [load, setLoad] = useState({ text: 'SELECT 1 AS one', version: 0 });
  const [schema, setSchema] = useState<SqlSchema>({});
  const [result, setResult] = useState<{ columns: string[]; rows: Row[]; ms: number }>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [running, setRunning] = useState<AbortController>();
  const [chart, setChart] = useState<ChartSpec | null>(null);
  const [saved, setSaved] = useState<string | undefined>(props.arg);
  const sqlRef = useRef(load.text);

  useEffect(() => {
    void loadSchema().then(setSchema, () => undefined);
  }, []);
  useEffect(() => {
    if (!props.arg) return;
    getQuery(props.arg).then(
      (q) => {
        sqlRef.current = q.sql;
        setLoad((l) => ({ text: q.sql, version: l.version + 1 }));
        setChart(q.chart ?? null);
        setSaved(props.arg);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, [props.arg]);

  const run = async () => {
    running?.abort();
    const ctl = new AbortController();
    setRunning(ctl);
    setError(undefined);
    setNotice(undefined);
    const started = performance.now();
    try {
      const rows = await api.post<Row[]>('/v1/query', { sql: sqlRef.current, limit: ROW_LIMIT }, ctl.signal);
      const columns = rows[0] ? Object.keys(rows[0]) : [];
      setResult({ columns, rows, ms: Math.round(performance.now() - started) });
      setChart((c) => (c && columns.includes(c.x) ? c : null));
    } catch (e) {
      setError(ctl.signal.aborted ? 'Cancelled.' : errorText(e));
    } finally {
      setRunning((r) => (r === ctl ? undefined : r));
    }
  };
  const cancel = () => running?.abort();

  const save = async (): Promise<string | undefined> => {
    const name = prompt('Name of the saved query (letters, digits, _ and -)', saved ?? '')?.trim();
    if (!name) return undefined;
    try {
      await api.put(queryPath(name), { sql: sqlRef.current, title: name, chart });
      setSaved(name);
      setNotice(`Saved query ${name}.`);
      return name;
    } catch (e) {
      setError(errorText(e));
      return undefined;
    }
  };
  const addToDashboard = async () => {
    const query = saved ?? (await save());
    if (!query) return;
    const dashboard = prompt('Add to which dashboard? (created if missing)', 'overview')?.trim();
    if (!dashboard) return;
    try {
      // The tile draws the query as saved; save again so its chart is the current one.
      if (saved) await api.put(queryPath(query), { sql: sqlRef.current, title: query, chart });
      await addTile(dashboard, { query, title: query, ...(chart ? { chart } : {}) });
      setNotice(`Added ${query} to dashboard ${dashboard}.`);
    } catch (e) {
      setError(errorText(e) + (e instanceof ApiError && e.status === 404 ? ' (this server has no dashboards API)' : ''));
    }
  };

  const option = useMemo(() => (chart && result ? chartOption(chart, result.rows) : null), [chart, result]);
  const setType = (type: string) => setChart(type ? (chart ? { ...chart, type: type as ChartSpec['type'] } : guessSpec(type as ChartSpec['type'], result?.columns ?? [], result?.rows ?? [])) : null);
  const columnSelect = (label: string, key: 'x' | 'y' | 'series', optional: boolean) => (
    <label>
      {label}
      <select value={((v) => (Array.isArray(v) ? v[0] : v))(chart?.[key]) ?? ''} onChange={(e) => chart && setChart({ ...chart, [key]: (e.target as HTMLSelectElement).value || undefined })}>
        {optional && <option value="">(none)</option>}
        {result?.columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section class="workbench">
      <h1>SQL{saved ? `: ${saved}` : ''}</h1>
      <SqlEditor load={load} onChange={(text) => (sqlRef.current = text)} onRun={() => void run()} schema={schema} />
      <div class="toolbar" role="toolbar" aria-label="Query">
        <button type="button" onClick={() => void run()} disabled={running !== undefined} title="Ctrl/Cmd-Enter">
          Run
        </button>
        <button type="button" onClick={cancel} disabled={running === undefined}>
          Cancel
        </button>
        <button type="button" onClick={() => void save()} disabled={!canSave} aria-describedby={canSave ? undefined : 'save-note'}>
          Save query
        </button>
        <button type="button" onClick={() => void addToDashboard()} disabled={!canSave} aria-describedby={canSave ? undefined : 'save-note'}>
          Add to dashboard
        </button>
        <button type="button" onClick={() => result && download(`${saved ?? 'result'}.csv`, toCsv(result.columns, result.rows))} disabled={!result?.rows.length}>
          Download CSV
        </button>
        {!canSave && (
          <span id="save-note" class="muted">
            Saving queries and dashboards needs an analyst token or stronger.
          </span>
        )}
        {running && <span class="muted">Running…</span>}
        {result && !running && (
          <span class="muted">
            {result.rows.length.toLocaleString('en-US')} rows in {result.ms} ms{result.rows.length === ROW_LIMIT ? ` (first ${ROW_LIMIT.toLocaleString('en-US')})` : ''}
          </span>
        )}
      </div>
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {error && <Alert>{error}</Alert>}
      {result && (
        <>
          <fieldset class="chart-builder">
            <legend>Chart</legend>
            <label>
              Chart type
              <select value={chart?.type ?? ''} onChange={(e) => setType((e.target as HTMLSelectElement).value)}>
                <option value="">(table only)</option>
                {CHART_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </label>
            {chart && columnSelect(chart.type === 'histogram' ? 'Values' : 'X', 'x', false)}
            {chart && chart.type !== 'histogram' && columnSelect('Y', 'y', false)}
            {chart && chart.type !== 'histogram' && columnSelect('Series', 'series', true)}
          </fieldset>
          {option && <Chart option={option} label={`${chart!.type} chart of the result`} height={320} testid="result-chart" />}
          <ResultGrid columns={result.columns} rows={result.rows} label="Query result" />
        </>
      )}
    </section>
  );
}
