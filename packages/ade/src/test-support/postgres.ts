// Test helper: a fresh Postgres database per test run.
// Reads ADE_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres).
// Without a reachable server the Postgres suites are skipped and say so — unless
// CI=true, where a missing Postgres is a failure.
import pg from 'pg';

export const PG_ADMIN_URL = process.env.ADE_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let availability: Promise<boolean> | undefined;

/** True when a Postgres server answers at PG_ADMIN_URL. Throws under CI when it does not. */
export function postgresAvailable(): Promise<boolean> {
  availability ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (e) {
      if (process.env.CI === 'true') {
        throw new Error(`CI=true but Postgres is not reachable at ${PG_ADMIN_URL}: ${(e as Error).message}`);
      }
      console.warn(`# Postgres suite SKIPPED: no server at ${PG_ADMIN_URL} (${(e as Error).message})`);
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return availability;
}

/** Creates a database of its own; returns its URL and a function that drops it. */
export async function freshPostgresDatabase(label = 'ade'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${label}_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
