import { useEffect, useState } from 'preact/hooks';

/** The page a hash names: `#/tables/clean.orders` → `{ page: 'tables', arg: 'clean.orders' }`. */
export interface Route {
  readonly page: string;
  readonly arg: string | undefined;
}

export function parseHash(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [page = '', ...rest] = path.split('/');
  return { page, arg: rest.length ? decodeURIComponent(rest.join('/')) : undefined };
}

export const href = (page: string, arg?: string) => `#/${page}${arg !== undefined ? `/${encodeURIComponent(arg)}` : ''}`;

/** The current route, following hash changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}
