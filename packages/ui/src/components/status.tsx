import type { ComponentChildren } from 'preact';
import type { Loaded } from './use-api.js';

/** An error message, announced to screen readers. */
export function Alert(props: { children: ComponentChildren }) {
  return (
    <p role="alert" class="alert">
      {props.children}
    </p>
  );
}

/** A request's loading or error state, else its children with the data. */
export function Async<T>(props: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { data, error, loading } = props.state;
  if (error) return <Alert>{error}</Alert>;
  if (data === undefined) return loading ? <p class="muted">Loading…</p> : null;
  return <>{props.children(data)}</>;
}
