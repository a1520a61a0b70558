import type { ComponentType } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, session } from './api.js';
import { errorText } from './components/use-api.js';
import { Alert } from './components/status.js';
import { href, useRoute, type Route } from './router.js';
import { HomePage } from './pages/home.js';
import { TablePage } from './pages/table-page.js';
import type { Role } from './types.js';

/** Who the token belongs to (GET /v1/whoami). */
export interface Me {
  readonly name: string;
  readonly role: Role;
}

/** What every page gets: the route's argument and who is signed in. */
export interface PageProps {
  readonly arg: string | undefined;
  readonly me: Me;
}

type Loader = () => Promise<ComponentType<PageProps>>;

/** The pages after home and table, each its own chunk (the workbench, ECharts and CodeMirror load only when needed). */
const LAZY: Record<string, Loader> = {
  sql: () => import('./pages/workbench.js').then((m) => m.WorkbenchPage),
  dashboards: () => import('./pages/dashboards.js').then((m) => m.DashboardsPage),
  quality: () => import('./pages/quality.js').then((m) => m.QualityPage),
  experiments: () => import('./pages/experiments.js').then((m) => m.ExperimentsPage),
  models: () => import('./pages/models.js').then((m) => m.ModelsPage),
  runs: () => import('./pages/runs.js').then((m) => m.RunsPage),
  audit: () => import('./pages/audit.js').then((m) => m.AuditPage),
};

const NAV: readonly { page: string; label: string; min: Role }[] = [
  { page: '', label: 'Home', min: 'viewer' },
  { page: 'sql', label: 'SQL', min: 'viewer' },
  { page: 'dashboards', label: 'Dashboards', min: 'viewer' },
  { page: 'quality', label: 'Quality', min: 'viewer' },
  { page: 'experiments', label: 'Experiments', min: 'viewer' },
  { page: 'models', label: 'Models', min: 'viewer' },
  { page: 'runs', label: 'Runs', min: 'viewer' },
  { page: 'audit', label: 'Audit', min: 'admin' },
];
const RANK: Record<Role, number> = { viewer: 0, analyst: 1, engineer: 2, admin: 3 };
export const atLeast = (me: Me, role: Role) => RANK[me.role] >= RANK[role];

/** The app shell: login until a token works, then the nav and the page the hash names. */
export function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(() => session.token() !== null);
  const route = useRoute();
  useEffect(() => {
    if (!session.token()) return;
    api.get<Me>('/v1/whoami').then(setMe, () => session.clear()).finally(() => setChecking(false));
  }, []);
  if (!me) return checking ? <p class="muted">Signing in…</p> : <Login onLogin={setMe} />;
  const signOut = () => {
    session.clear();
    setMe(null);
  };
  return (
    <>
      <header class="top">
        <a class="brand" href="#/">
          ade
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => atLeast(me, n.min)).map((n) => (
              <li key={n.page}>
                <a href={n.page ? href(n.page) : '#/'} aria-current={route.page === n.page || (n.page === '' && route.page === 'tables') ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {me.name} ({me.role})
        </span>
        <button type="button" onClick={signOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Page route={route} me={me} />
      </main>
    </>
  );
}

function Page(props: { route: Route; me: Me }) {
  const { page, arg } = props.route;
  if (page === '') return <HomePage arg={arg} me={props.me} />;
  if (page === 'tables' && arg) return <TablePage arg={arg} me={props.me} />;
  const loader = LAZY[page];
  if (!loader) return <Alert>No page {location.hash}. <a href="#/">Go home</a></Alert>;
  const nav = NAV.find((n) => n.page === page);
  if (nav && !atLeast(props.me, nav.min)) return <Alert>The {nav.label} page needs a {nav.min} token; you are signed in as {props.me.role}.</Alert>;
  return <LazyPage key={page} loader={loader} arg={arg} me={props.me} />;
}

const loaded = new Map<Loader, ComponentType<PageProps>>();

function LazyPage(props: { loader: Loader } & PageProps) {
  const [Component, setComponent] = useState<ComponentType<PageProps> | undefined>(() => loaded.get(props.loader));
  const [error, setError] = useState<string>();
  useEffect(() => {
    if (Component) return;
    props.loader().then(
      (c) => {
        loaded.set(props.loader, c);
        setComponent(() => c);
      },
      (e: unknown) => setError(errorText(e)),
    );
  }, []);
  if (error) return <Alert>Could not load the page: {error}</Alert>;
  if (!Component) return <p class="muted">Loading…</p>;
  return <Component arg={props.arg} me={props.me} />;
}

function Login(props: { onLogin: (me: Me) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    session.set(token.trim());
    try {
      props.onLogin(await api.get<Me>('/v1/whoami'));
      setError(null);
    } catch (err) {
      session.clear();
      setError(errorText(err));
    }
  };
  return (
    <main>
      <form class="login" onSubmit={submit}>
        <h1>ade</h1>
        <label for="token">API token</label>
        <input id="token" type="password" autocomplete="off" value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} />
        <button type="submit">Sign in</button>
        {error && <p role="alert">{error}</p>}
      </form>
    </main>
  );
}
