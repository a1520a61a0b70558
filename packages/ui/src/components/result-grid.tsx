import { useEffect, useState } from 'preact/hooks';
import type { Row } from '../types.js';
import { cell } from './format.js';

/** A result as a table, a page of rows at a time. */
export function ResultGrid(props: { columns: readonly string[]; rows: readonly Row[]; pageSize?: number; label: string }) {
  const size = props.pageSize ?? 50;
  const [page, setPage] = useState(0);
  useEffect(() => setPage(0), [props.rows]);
  const pages = Math.max(1, Math.ceil(props.rows.length / size));
  const shown = props.rows.slice(page * size, (page + 1) * size);
  if (!props.rows.length) return <p class="muted">No rows.</p>;
  return (
    <div class="result">
      <div class="scroll">
        <table class="grid" aria-label={props.label}>
          <thead>
            <tr>
              {props.columns.map((c) => (
                <th scope="col" key={c}>
                  {c}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {shown.map((r, i) => (
              <tr key={page * size + i}>
                {props.columns.map((c) => (
                  <td key={c}>{cell(r[c])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {pages > 1 && (
        <div class="pager" role="group" aria-label="Pages">
          <button type="button" onClick={() => setPage((p) => Math.max(0, p - 1))} disabled={page === 0}>
            Previous page
          </button>
          <span>
            Page {page + 1} of {pages} ({props.rows.length.toLocaleString('en-US')} rows)
          </span>
          <button type="button" onClick={() => setPage((p) => Math.min(pages - 1, p + 1))} disabled={page >= pages - 1}>
            Next page
          </button>
        </div>
      )}
    </div>
  );
}
