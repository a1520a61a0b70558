import type { ComponentChildren } from 'preact';

/** One column: its header, and the cell of an item (with an optional class for the cell). */
export interface Column<T> {
  readonly header: string;
  readonly cell: (item: T) => ComponentChildren;
  readonly class?: string;
}

/**
 * A grid of items, one row each, or `empty` when there are none: the list
 * pages (experiments, models, audit, blocked writes) share it.
 */
export function DataTable<T>(props: {
  readonly items: readonly T[];
  readonly columns: readonly Column<T>[];
  readonly rowKey: (item: T) => string | number;
  readonly empty: ComponentChildren;
  readonly label?: string;
  readonly testid?: string;
}) {
  if (!props.items.length) return <p class="muted">{props.empty}</p>;
  return (
    <table class="grid" aria-label={props.label} data-testid={props.testid}>
      <thead>
        <tr>
          {props.columns.map((c) => (
            <th scope="col" key={c.header}>
              {c.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.items.map((item) => (
          <tr key={props.rowKey(item)}>
            {props.columns.map((c) => (
              <td key={c.header} class={c.class}>
                {c.cell(item)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
