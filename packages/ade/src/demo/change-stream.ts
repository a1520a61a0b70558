import { Faker, en } from '@faker-js/faker';

/** One Debezium change event of the app backend's `accounts` table (schemas disabled: the payload alone). */
export interface AccountChange {
  readonly before: AccountRow | null;
  readonly after: AccountRow | null;
  readonly source: { readonly connector: 'postgresql'; readonly db: 'app'; readonly schema: 'public'; readonly table: 'accounts'; readonly lsn: number; readonly ts_ms: number; readonly snapshot: string };
  readonly op: 'r' | 'c' | 'u' | 'd';
  readonly ts_ms: number;
}

export interface AccountRow {
  readonly account_id: number;
  readonly email: string;
  readonly plan: string;
  readonly country: string;
  readonly seats: number;
  readonly updated_at: string;
}

export interface ChangeStream {
  /** In the order the database made them (by LSN). */
  readonly changes: readonly AccountChange[];
  /** The accounts that exist after the last change, by id: what `model.account_current` must hold. */
  readonly final: ReadonlyMap<number, AccountRow>;
  readonly counts: { readonly snapshot: number; readonly created: number; readonly updated: number; readonly deleted: number };
}

const PLANS = ['free', 'basic', 'plus', 'pro'] as const;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'SE', 'CA'] as const;

/**
 * The app backend's change stream (the essay's BFF table), as Debezium's
 * Postgres connector emits it: a snapshot of `accounts` (op r), then a day of
 * sign-ups (c), plan and seat changes (u) and closed accounts (d), each with
 * its LSN as the source position. Seeded: the same seed gives the same stream.
 */
export function generateAccountChanges(opts: { seed: number; accounts: number; day: Date }): ChangeStream {
  const f = new Faker({ locale: [en] });
  f.seed(opts.seed + 7);
  const state = new Map<number, AccountRow>();
  const changes: AccountChange[] = [];
  let lsn = 24_023_128;
  const dayStart = opts.day.getTime();
  let clock = dayStart;
  const emit = (op: AccountChange['op'], before: AccountRow | null, after: AccountRow | null, snapshot: string) => {
    lsn += f.number.int({ min: 56, max: 4096 });
    changes.push({ before, after, source: { connector: 'postgresql', db: 'app', schema: 'public', table: 'accounts', lsn, ts_ms: clock, snapshot }, op, ts_ms: clock + f.number.int({ min: 3, max: 900 }) });
  };
  const row = (id: number): AccountRow => ({
    account_id: id,
    email: f.internet.email().toLowerCase(),
    plan: f.helpers.weightedArrayElement([
      { value: PLANS[0], weight: 50 },
      { value: PLANS[1], weight: 25 },
      { value: PLANS[2], weight: 17 },
      { value: PLANS[3], weight: 8 },
    ]),
    country: f.helpers.arrayElement(COUNTRIES),
    seats: f.number.int({ min: 1, max: 5 }),
    updated_at: new Date(clock).toISOString(),
  });

  // The connector's initial snapshot.
  for (let id = 1; id <= opts.accounts; id++) {
    const r = row(id);
    state.set(id, r);
    emit('r', null, r, id === opts.accounts ? 'last' : 'true');
  }
  const counts = { snapshot: opts.accounts, created: 0, updated: 0, deleted: 0 };
  // A day of changes: mostly updates, some sign-ups, a few closed accounts.
  let next = opts.accounts + 1;
  const steps = Math.round(opts.accounts * 0.6);
  for (let i = 0; i < steps; i++) {
    clock = dayStart + Math.round(((i + 1) / (steps + 1)) * 86_400_000);
    const roll = f.number.float({ min: 0, max: 1 });
    const ids = [...state.keys()];
    if (roll < 0.15 || ids.length === 0) {
      const r = row(next++);
      state.set(r.account_id, r);
      emit('c', null, r, 'false');
      counts.created++;
    } else if (roll < 0.2) {
      const id = f.helpers.arrayElement(ids);
      const before = state.get(id)!;
      state.delete(id);
      emit('d', before, null, 'false');
      counts.deleted++;
    } else {
      const id = f.helpers.arrayElement(ids);
      const before = state.get(id)!;
      const after: AccountRow =
        roll < 0.7
          ? { ...before, plan: f.helpers.arrayElement(PLANS.filter((p) => p !== before.plan)), updated_at: new Date(clock).toISOString() }
          : { ...before, seats: before.seats + f.number.int({ min: 1, max: 3 }), updated_at: new Date(clock).toISOString() };
      state.set(id, after);
      emit('u', before, after, 'false');
      counts.updated++;
    }
  }
  return { changes, final: state, counts };
}

/**
 * Splits changes into requests of at most `size` and shuffles the requests
 * (seeded): deliveries arrive out of order, as retries and parallel senders
 * make them, and the `current` model must still end at the source's order.
 */
export function shuffledBatches<T>(items: readonly T[], size: number, seed: number): T[][] {
  const batches: T[][] = [];
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
  const f = new Faker({ locale: [en] });
  f.seed(seed);
  return f.helpers.shuffle(batches);
}
