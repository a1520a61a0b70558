import { useState } from 'preact/hooks';
import { api } from '../api.js';
import type { PageProps } from '../app.js';
import { num, when } from '../components/format.js';
import { ResultGrid } from '../components/result-grid.js';
import { DataTable } from '../components/data-table.js';
import { Alert, Async } from '../components/status.js';
import { errorText, useApi } from '../components/use-api.js';
import { href } from '../router.js';
import type { ModelDetail, ModelSummary, Row } from '../types.js';

/** Models: the registry's list, or one model's versions, leaderboard, aliases and sample predictions. */
export function ModelsPage(props: PageProps) {
  return props.arg ? <ModelView name={props.arg} admin={props.me.role === 'admin'} /> : <ModelList />;
}

function ModelList() {
  const list = useApi<ModelSummary[]>('/v1/models');
  return (
    <section>
      <h1>Models</h1>
      <Async state={list}>
        {(items) => (
          <DataTable
            items={items}
            rowKey={(m) => m.name}
            empty="No registered models."
            columns={[
              { header: 'Model', cell: (m) => <a href={href('models', m.name)}>{m.name}</a> },
              { header: 'Versions', cell: (m) => m.versions },
              { header: 'Aliases', cell: (m) => Object.entries(m.aliases).map(([a, v]) => `${a} → v${v}`).join(', ') || '—' },
              { header: 'Task', cell: (m) => m.latest.task },
              { header: 'Target', cell: (m) => m.latest.target },
              { header: 'Latest score', cell: (m) => `${m.latest.metric} ${num(m.latest.cvScore, 4)}` },
              { header: 'Training table', cell: (m) => <a href={href('tables', m.latest.table)}>{m.latest.table}</a> },
            ]}
          />
        )}
      </Async>
    </section>
  );
}

function ModelView(props: { name: string; admin: boolean }) {
  const detail = useApi<ModelDetail>(`/v1/models/${encodeURIComponent(props.name)}`);
  const [alias, setAlias] = useState('champion');
  const [notice, setNotice] = useState<string>();
  const [error, setError] = useState<string>();
  const act = async (path: string, body: unknown, done: (r: unknown) => string) => {
    setError(undefined);
    setNotice(undefined);
    try {
      const r = await api.post<unknown>(`/v1/models/${encodeURIComponent(props.name)}/${path}`, body);
      setNotice(done(r));
      detail.reload();
    } catch (e) {
      setError(errorText(e));
    }
  };
  const note = props.admin ? undefined : 'admin-note';
  return (
    <section>
      <h1>Model {props.name}</h1>
      {!props.admin && (
        <p id="admin-note" class="muted">
          Promotions and rollbacks change what applications score with: they need an admin token.
        </p>
      )}
      {notice && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {error && <Alert>{error}</Alert>}
      <Async state={detail}>
        {(m) => (
          <>
            <dl class="facts">
              <dt>Task</dt>
              <dd>{m.manifest.task}</dd>
              <dt>Target</dt>
              <dd>{m.manifest.target}</dd>
              <dt>Metric</dt>
              <dd>{m.manifest.metric}</dd>
              <dt>Training table</dt>
              <dd>
                <a href={href('tables', m.manifest.training.table)}>{m.manifest.training.table}</a> ({num(m.manifest.training.rows)} rows)
              </dd>
            </dl>
            <h2>Aliases</h2>
            {m.aliases.length ? (
              <table class="grid">
                <thead>
                  <tr>
                    <th scope="col">Alias</th>
                    <th scope="col">Version</th>
                    <th scope="col">Updated</th>
                    <th scope="col">By</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {m.aliases.map((a) => (
                    <tr key={a.alias}>
                      <td>{a.alias}</td>
                      <td>v{a.version}</td>
                      <td>{when(a.updatedAt)}</td>
                      <td>{a.updatedBy}</td>
                      <td>
                        <button type="button" disabled={!props.admin} aria-describedby={note} aria-label={`Roll back ${a.alias}`} onClick={() => void act('rollback', { alias: a.alias }, () => `Rolled back ${a.alias}.`)}>
                          Rollback
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p class="muted">No aliases yet.</p>
            )}
            <h2>Versions</h2>
            <label>
              Alias to promote to{' '}
              <input value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
            </label>
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Aliases</th>
                  <th scope="col">{m.manifest.metric}</th>
                  <th scope="col">Created</th>
                  <th scope="col">By</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {[...m.versions].sort((a, b) => b.version - a.version).map((v) => (
                  <tr key={v.version}>
                    <td>v{v.version}</td>
                    <td>{v.aliases.join(', ')}</td>
                    <td>{num(v.cvScore, 4)}</td>
                    <td>{when(v.createdAt)}</td>
                    <td>{v.createdBy}</td>
                    <td>
                      <button type="button" disabled={!props.admin} aria-describedby={note} title={`Promote v${v.version} to ${alias}`} onClick={() => void act('promote', { version: v.version, alias: alias || 'champion' }, () => `Promoted v${v.version} to ${alias || 'champion'}.`)}>
                        Promote
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <h2>Leaderboard (v{m.version}, best 15 of {m.manifest.leaderboard.length} candidates)</h2>
            <table class="grid">
              <thead>
                <tr>
                  <th scope="col">Family</th>
                  <th scope="col">CV {m.manifest.metric}</th>
                  <th scope="col">± std</th>
                  <th scope="col">Fit (s)</th>
                  <th scope="col">Params</th>
                </tr>
              </thead>
              <tbody>
                {m.manifest.leaderboard.filter((r) => r.cvScore !== undefined).slice(0, 15).map((r, i) => (
                  <tr key={i}>
                    <td>{r.family}</td>
                    <td>{num(r.cvScore, 4)}</td>
                    <td>{num(r.cvStd, 3)}</td>
                    <td>{num(r.fitSeconds, 3)}</td>
                    <td>
                      <code>{JSON.stringify(r.params)}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Predictions model={props.name} detail={m} />
          </>
        )}
      </Async>
    </section>
  );
}

function Predictions(props: { model: string; detail: ModelDetail }) {
  const [result, setResult] = useState<{ columns: string[]; rows: Row[] }>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const inputs = props.detail.manifest.inputs.map((i) => i.name);
      const quoted = inputs.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
      const rows = await api.post<Row[]>('/v1/query', { sql: `SELECT ${quoted || '*'} FROM ${props.detail.manifest.training.table} LIMIT 5`, limit: 5 });
      const scored = await api.post<{ predictions: unknown[] }>(`/v1/models/${encodeURIComponent(props.model)}/predict`, { rows });
      const table = rows.map((r, i) => {
        const p = scored.predictions[i];
        const shown = p !== null && typeof p === 'object' ? Object.fromEntries(Object.entries(p as Row).map(([k, v]) => [`→ ${k}`, v])) : { '→ prediction': p };
        return { ...shown, ...r };
      });
      setResult({ columns: table[0] ? Object.keys(table[0]) : [], rows: table });
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h2>Sample predictions</h2>
      <button type="button" onClick={() => void run()} disabled={busy}>
        Score 5 rows of {props.detail.manifest.training.table}
      </button>
      {error && <Alert>{error}</Alert>}
      {result && <ResultGrid columns={result.columns} rows={result.rows} label="Sample predictions" />}
    </>
  );
}
