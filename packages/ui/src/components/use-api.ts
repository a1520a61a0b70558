import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';

/** A GET's state: the data, or the error, while `loading` says a request is out. */
export interface Loaded<T> {
  readonly data: T | undefined;
  readonly error: string | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** The text to show for a failed request: the server's message and hint. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.hint ? ` — ${e.hint}` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

/** GETs `path` (none while it is null) and again when it changes or `reload` is called. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: string; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    api.get<T>(path, ctl.signal).then(
      (data) => setState({ data, loading: false }),
      (e: unknown) => {
        if (!ctl.signal.aborted) setState({ error: errorText(e), loading: false });
      },
    );
    return () => ctl.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** A user action that calls the server: `busy` while it runs, `error` if it failed (cleared when it runs again). */
export function useAction(): { busy: boolean; error: string | undefined; run: (work: () => Promise<void>) => Promise<void> } {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const run = useCallback(async (work: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
