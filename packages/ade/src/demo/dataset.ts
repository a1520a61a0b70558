import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { Faker, en } from '@faker-js/faker';
import { CHECKOUT_BUTTON, CHECKOUT_EXTRA_ORDER_CHANCE, DEMO_EXPERIMENTS, demoVariant, ONBOARDING_EMAIL } from './demo-experiments.js';

/** How big the demo dataset is. */
export interface DatasetOptions {
  /** Seed for every random choice: the same seed gives byte-identical files. */
  readonly seed: number;
  readonly customers: number;
  readonly products: number;
  /** Orders per customer on average (Poisson-like spread). */
  readonly ordersPerCustomer: number;
  /** App events per customer on average, plus anonymous visitors. */
  readonly eventsPerCustomer: number;
  /** Data ends on this day (exclusive) and covers the 12 months before it. */
  readonly endDate: Date;
}

export const DATASET_SCALES = {
  small: { customers: 500, products: 40, ordersPerCustomer: 3, eventsPerCustomer: 20 },
  medium: { customers: 5_000, products: 120, ordersPerCustomer: 4, eventsPerCustomer: 30 },
  large: { customers: 50_000, products: 400, ordersPerCustomer: 4, eventsPerCustomer: 40 },
} as const;

export type DatasetScale = keyof typeof DATASET_SCALES;

export interface DatasetFiles {
  readonly customers: string;
  readonly products: string;
  readonly orders: string;
  readonly events: string;
  readonly support: string;
  /** Rows written; `exposures` of them are events (the experiments' `Experiment Viewed`), `experimentOrders` orders (the effect built into checkout_button). */
  readonly counts: { customers: number; products: number; orders: number; events: number; tickets: number; exposures: number; experimentOrders: number };
}

const CATEGORIES = ['Coffee', 'Tea', 'Equipment', 'Accessories', 'Snacks', 'Gift cards'] as const;
const PLANS = ['free', 'basic', 'plus', 'pro'] as const;
const CHANNELS = ['app', 'web', 'partner'] as const;
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'NL', 'ES', 'SE', 'CA'] as const;
const DEVICES = [
  ['ios', 'iPhone'],
  ['android', 'Pixel'],
  ['android', 'Galaxy'],
  ['web', 'Chrome'],
  ['web', 'Safari'],
] as const;

function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await new Promise<void>((resolve) => stream.once('drain', resolve));
}

/**
 * Generates a seeded, realistic startup dataset: an online coffee shop with
 * customers (with personal data), products, orders (with payment cards and
 * IPs) and app events — as the files a team would receive: CSV and NDJSON.
 */
export async function generateDataset(dir: string, opts: DatasetOptions, onProgress?: (done: number, total: number) => void): Promise<DatasetFiles> {
  await mkdir(dir, { recursive: true });
  const f = new Faker({ locale: [en] });
  f.seed(opts.seed);
  const end = opts.endDate.getTime();
  const start = end - 365 * 86_400_000;
  const total = opts.customers * (1 + opts.ordersPerCustomer + opts.eventsPerCustomer);
  let done = 0;
  const tick = (n: number) => {
    done += n;
    if (onProgress && done % 5000 < n) onProgress(Math.min(done, total), total);
  };

  // products
  const products: { id: number; price: number; category: string }[] = [];
  const productsPath = join(dir, 'products.csv');
  const ps = createWriteStream(productsPath);
  await write(ps, 'product_id,sku,name,category,price,cost,launched_on\n');
  for (let i = 1; i <= opts.products; i++) {
    const category = f.helpers.arrayElement(CATEGORIES);
    const price = Number(f.commerce.price({ min: 3, max: category === 'Equipment' ? 400 : 60 }));
    const cost = Math.round(price * f.number.float({ min: 0.35, max: 0.7 }) * 100) / 100;
    products.push({ id: i, price, category });
    const launched = new Date(start - f.number.int({ min: 0, max: 400 }) * 86_400_000).toISOString().slice(0, 10);
    await write(ps, [i, `SKU-${String(i).padStart(5, '0')}`, f.commerce.productName(), category, price.toFixed(2), cost.toFixed(2), launched].map(csvField).join(',') + '\n');
  }
  ps.end();
  await finished(ps);
  // A few products sell much more than others.
  const popularity = products.map((_, i) => 1 / (1 + i * 0.15));

  // customers
  const customersPath = join(dir, 'customers.csv');
  const cs = createWriteStream(customersPath);
  await write(cs, 'customer_id,first_name,last_name,email,phone,street_address,city,postal_code,country,birth_date,signup_at,plan,marketing_opt_in\n');
  const customers: { id: number; signup: number; country: string; plan: string; activity: number; email: string; phone: string; name: string }[] = [];
  for (let i = 1; i <= opts.customers; i++) {
    const first = f.person.firstName();
    const last = f.person.lastName();
    const signup = f.number.int({ min: start - 180 * 86_400_000, max: end - 86_400_000 });
    const country = f.helpers.weightedArrayElement(COUNTRIES.map((c, k) => ({ value: c, weight: 8 - k })));
    const plan = f.helpers.weightedArrayElement([
      { value: PLANS[0], weight: 50 },
      { value: PLANS[1], weight: 25 },
      { value: PLANS[2], weight: 17 },
      { value: PLANS[3], weight: 8 },
    ]);
    const email = f.internet.email({ firstName: first, lastName: last }).toLowerCase();
    const phone = f.phone.number({ style: 'international' });
    customers.push({ id: i, signup, country, plan, activity: f.number.float({ min: 0.2, max: 2.5 }) * (plan === 'free' ? 0.6 : 1.2), email, phone, name: `${first} ${last}` });
    const row = [
      i,
      first,
      last,
      email,
      phone,
      f.location.streetAddress(),
      f.location.city(),
      f.location.zipCode(),
      country,
      f.date.birthdate({ mode: 'age', min: 18, max: 75 }).toISOString().slice(0, 10),
      new Date(signup).toISOString(),
      plan,
      f.datatype.boolean({ probability: 0.4 }),
    ];
    await write(cs, row.map(csvField).join(',') + '\n');
    tick(1);
  }
  cs.end();
  await finished(cs);

  // orders
  const ordersPath = join(dir, 'orders.ndjson');
  const os = createWriteStream(ordersPath);
  let orderId = 0;
  /** One order of customer `c` at `at` (`status` drawn unless given), as the shop's export writes it. */
  const orderLine = (r: Faker, c: (typeof customers)[number], at: number, status?: string) => {
    const items = Array.from({ length: r.helpers.weightedArrayElement([{ value: 1, weight: 55 }, { value: 2, weight: 28 }, { value: 3, weight: 12 }, { value: 4, weight: 5 }]) }, () => {
      const p = products[r.helpers.weightedArrayElement(popularity.map((w, idx) => ({ value: idx, weight: w })))]!;
      return { product_id: p.id, quantity: r.helpers.weightedArrayElement([{ value: 1, weight: 80 }, { value: 2, weight: 15 }, { value: 3, weight: 5 }]), unit_price: p.price };
    });
    const gross = items.reduce((s, it) => s + it.quantity * it.unit_price, 0);
    const discount = r.datatype.boolean({ probability: 0.2 }) ? Math.round(gross * 0.1 * 100) / 100 : 0;
    const drawn = r.helpers.weightedArrayElement([{ value: 'completed', weight: 90 }, { value: 'refunded', weight: 4 }, { value: 'cancelled', weight: 6 }]);
    const order = {
      order_id: orderId,
      customer_id: c.id,
      ordered_at: new Date(at).toISOString(),
      status: status ?? drawn,
      channel: r.helpers.arrayElement(CHANNELS),
      country: c.country,
      items,
      discount,
      total: Math.round((gross - discount) * 100) / 100,
      payment: { card_number: r.finance.creditCardNumber({ issuer: 'visa' }), card_expiry: `${r.number.int({ min: 1, max: 12 })}/${r.number.int({ min: 27, max: 31 })}` },
      client_ip: r.internet.ipv4(),
      // A field nobody declared, where customers type whatever they like.
      gift_message: giftMessage(r, c),
    };
    return JSON.stringify(order) + '\n';
  };
  for (const c of customers) {
    const n = Math.round(f.number.float({ min: 0, max: 2 * opts.ordersPerCustomer }) * c.activity * 0.7);
    for (let k = 0; k < n; k++) {
      orderId++;
      const at = f.number.int({ min: Math.max(c.signup, start), max: end - 1 });
      await write(os, orderLine(f, c, at));
      tick(1);
    }
  }

  // events: a funnel per visit
  const eventsPath = join(dir, 'events.ndjson');
  const es = createWriteStream(eventsPath);
  let events = 0;
  const visits = Math.round((opts.customers * opts.eventsPerCustomer) / 3.2);
  // Signed-in visits since the first experiment started: where the app's SDK logs exposures (below).
  const experimentsStart = Math.min(...DEMO_EXPERIMENTS.map((e) => Date.parse(e.start)));
  const experimentVisits: ExperimentVisit[] = [];
  for (let v = 0; v < visits; v++) {
    const known = f.datatype.boolean({ probability: 0.7 });
    const customer = known ? customers[f.number.int({ min: 0, max: customers.length - 1 })]! : undefined;
    const anonymousId = f.string.uuid();
    // Weekly seasonality: weekends see about 40% of a weekday's visits.
    let at = f.number.int({ min: start, max: end - 3_600_000 });
    while (isWeekend(at) && !f.datatype.boolean({ probability: 0.4 })) at = f.number.int({ min: start, max: end - 3_600_000 });
    const [os_, device] = f.helpers.arrayElement(DEVICES);
    const ip = f.internet.ipv4();
    const product = products[f.helpers.weightedArrayElement(popularity.map((w, idx) => ({ value: idx, weight: w })))]!;
    const steps = ['app_open', 'product_viewed', 'added_to_cart', 'checkout_started', 'order_completed'];
    const keep = [1, 0.75, 0.35, 0.6, customer && customer.plan !== 'free' ? 0.75 : 0.55];
    for (let s = 0; s < steps.length; s++) {
      if (s > 0 && !f.datatype.boolean({ probability: keep[s]! })) break;
      at += f.number.int({ min: 5_000, max: 240_000 });
      const event = {
        event_id: f.string.uuid(),
        anonymous_id: anonymousId,
        user_id: customer ? String(customer.id) : null,
        event: steps[s],
        timestamp: new Date(at).toISOString(),
        properties:
          s === 0
            ? { referrer: f.helpers.arrayElement(['direct', 'search', 'social', 'email', 'partner']) }
            : s === 4 && customer
              ? { product_id: product.id, category: product.category, price: product.price, receipt_email: customer.email }
              : { product_id: product.id, category: product.category, price: product.price },
        context: { os: os_, device, app_version: f.helpers.arrayElement(['4.1.0', '4.2.0', '4.2.1', '4.3.0']), ip },
      };
      if (s === 0 && customer && at >= experimentsStart) experimentVisits.push({ customer: customer.id, at, anonymousId, context: event.context });
      const line = JSON.stringify(event) + '\n';
      await write(es, line);
      // Mobile clients resend an event now and then: same event id, same content.
      if (f.datatype.boolean({ probability: 0.01 })) await write(es, line);
      // A client crashed mid-write once: a truncated line the ingest must quarantine, not drop.
      if (v === Math.floor(visits / 2) && s === 0) await write(es, line.slice(0, Math.floor(line.length / 2)) + '\n');
      events++;
      tick(1);
    }
  }
  // The experiments, from their own seeded stream (the rest of the data stays as it was without them).
  const x = new Faker({ locale: [en] });
  x.seed(opts.seed + 2);
  const exposed = experimentExposures(experimentVisits);
  let exposures = 0;
  for (const e of exposed) {
    const event = {
      event_id: x.string.uuid(),
      anonymous_id: e.visit.anonymousId,
      user_id: String(e.visit.customer),
      event: 'Experiment Viewed',
      timestamp: new Date(e.at).toISOString(),
      properties: { experiment_key: e.experiment.key, variation_id: e.variant, variation_index: e.index, hash_value: e.hashValue },
      context: e.visit.context,
    };
    await write(es, JSON.stringify(event) + '\n');
    exposures++;
  }
  events += exposures;
  es.end();
  await finished(es);
  // The effect checkout_button's green button has: now and then an extra completed order within 14 days of the exposure.
  let experimentOrders = 0;
  for (const e of exposed) {
    if (e.experiment !== CHECKOUT_BUTTON || e.index !== 1 || !x.datatype.boolean({ probability: CHECKOUT_EXTRA_ORDER_CHANCE })) continue;
    const at = e.at + x.number.int({ min: 600_000, max: 13 * 86_400_000 });
    if (at >= end) continue;
    orderId++;
    experimentOrders++;
    await write(os, orderLine(x, customers[e.visit.customer - 1]!, at, 'completed'));
  }
  os.end();
  await finished(os);

  // support tickets: free text where customers paste whatever they think helps
  const supportPath = join(dir, 'support.ndjson');
  const ss = createWriteStream(supportPath);
  const tickets = Math.max(20, Math.round(opts.customers * 0.3));
  for (let t = 1; t <= tickets; t++) {
    const c = customers[f.number.int({ min: 0, max: customers.length - 1 })]!;
    const created = f.number.int({ min: Math.max(c.signup, start), max: end - 1 });
    const ticket = {
      ticket_id: t,
      customer_id: c.id,
      created_at: new Date(created).toISOString(),
      channel: f.helpers.arrayElement(['email', 'chat', 'phone']),
      topic: f.helpers.arrayElement(['delivery', 'refund', 'billing', 'account', 'product']),
      body: ticketBody(f, c),
      satisfaction: f.helpers.maybe(() => f.number.int({ min: 1, max: 5 }), { probability: 0.6 }) ?? null,
    };
    await write(ss, JSON.stringify(ticket) + '\n');
  }
  ss.end();
  await finished(ss);
  onProgress?.(total, total);
  return {
    customers: customersPath,
    products: productsPath,
    orders: ordersPath,
    events: eventsPath,
    support: supportPath,
    counts: { customers: opts.customers, products: opts.products, orders: orderId, events, tickets, exposures, experimentOrders },
  };
}

type PersonalCustomer = { email: string; phone: string; name: string };

/** A signed-in visit's first event (app_open), where the app's SDK assigns and logs exposures. */
interface ExperimentVisit {
  readonly customer: number;
  readonly at: number;
  readonly anonymousId: string;
  readonly context: { readonly os: string; readonly device: string; readonly app_version: string; readonly ip: string };
}

/**
 * Each demo experiment's exposures: a customer's first visit from the
 * experiment's start on, a second after the app opened, in the variant the
 * SDK's hashing gives. The Android app and Safari never log
 * onboarding_email's welcome_series exposures (see `losesWelcomeExposure`) —
 * that experiment's broken sample ratio.
 */
function experimentExposures(visits: readonly ExperimentVisit[]) {
  const out: { experiment: DemoExperimentRef; visit: ExperimentVisit; at: number; variant: string; index: 0 | 1; hashValue: number }[] = [];
  const sorted = [...visits].sort((a, b) => a.at - b.at || a.customer - b.customer);
  for (const experiment of DEMO_EXPERIMENTS) {
    const from = Date.parse(experiment.start);
    const seen = new Set<number>();
    for (const visit of sorted) {
      if (visit.at < from || seen.has(visit.customer)) continue;
      seen.add(visit.customer);
      const a = demoVariant(experiment, String(visit.customer));
      if (experiment === ONBOARDING_EMAIL && a.index === 1 && losesWelcomeExposure(visit.context)) continue;
      out.push({ experiment, visit, at: visit.at + 1_000, ...a });
    }
  }
  return out;
}

type DemoExperimentRef = (typeof DEMO_EXPERIMENTS)[number];

/**
 * The bug behind onboarding_email's sample ratio: the welcome_series
 * exposure is sent from the email opt-in screen, which the Android app
 * skips, and Safari's tracking prevention blocks — 3 visits in 5.
 */
const losesWelcomeExposure = (context: ExperimentVisit['context']) => context.os === 'android' || context.device === 'Safari';

const isWeekend = (ms: number) => {
  const d = new Date(ms).getUTCDay();
  return d === 0 || d === 6;
};

/** Files that arrive the day after the dataset ends: what the demo's checks judge. */
export interface ArrivalFiles {
  /** The day (`YYYY-MM-DD`). */
  readonly day: string;
  /** App events of that day: a quarter of a usual day of its weekday (an app release broke tracking). */
  readonly events: string;
  readonly eventCount: number;
  /** What a usual day of that weekday held: the mean of the last 10 in the dataset. */
  readonly usualEvents: number;
  /** Orders of that day, one with a negative total (a refund keyed in as an order). */
  readonly orders: string;
  readonly orderCount: number;
}

/**
 * The next day's files, after `generateDataset` with the same options: app
 * events at a quarter of the usual volume for that weekday, and orders of
 * which one has a negative total. The demo ingests them after its models are
 * built, so that a seasonal volume check and an error check have something
 * to catch.
 */
export async function generateArrivals(dir: string, opts: DatasetOptions, eventsFile: string, lastOrderId: number): Promise<ArrivalFiles> {
  await mkdir(dir, { recursive: true });
  const f = new Faker({ locale: [en] });
  f.seed(opts.seed + 1);
  const dayStart = opts.endDate.getTime();
  const day = new Date(dayStart).toISOString().slice(0, 10);
  // The usual volume of this weekday, from the events already generated (their timestamps only).
  const perDay = new Map<string, number>();
  const { createReadStream } = await import('node:fs');
  const { createInterface } = await import('node:readline');
  for await (const line of createInterface({ input: createReadStream(eventsFile), crlfDelay: Infinity })) {
    const m = /"timestamp":"(\d{4}-\d{2}-\d{2})/.exec(line);
    if (m) perDay.set(m[1]!, (perDay.get(m[1]!) ?? 0) + 1);
  }
  const sameWeekday = Array.from({ length: 10 }, (_, k) => new Date(dayStart - (k + 1) * 7 * 86_400_000).toISOString().slice(0, 10)).map((d) => perDay.get(d) ?? 0);
  const usualEvents = sameWeekday.reduce((a, b) => a + b, 0) / sameWeekday.length;
  const eventCount = Math.max(1, Math.round(usualEvents / 4));
  const events = join(dir, `events-${day}.ndjson`);
  const es = createWriteStream(events);
  for (let i = 0; i < eventCount; i++) {
    const [os_, device] = f.helpers.arrayElement(DEVICES);
    const event = {
      event_id: f.string.uuid(),
      anonymous_id: f.string.uuid(),
      user_id: null,
      event: 'app_open',
      timestamp: new Date(dayStart + f.number.int({ min: 0, max: 86_399_000 })).toISOString(),
      properties: { referrer: 'direct' },
      context: { os: os_, device, app_version: '4.4.0', ip: f.internet.ipv4() },
    };
    await write(es, JSON.stringify(event) + '\n');
  }
  es.end();
  await finished(es);
  const orders = join(dir, `orders-${day}.ndjson`);
  const os = createWriteStream(orders);
  const orderCount = 5;
  for (let k = 1; k <= orderCount; k++) {
    const total = k === 3 ? -24.5 : Math.round(f.number.float({ min: 8, max: 80 }) * 100) / 100;
    const order = {
      order_id: lastOrderId + k,
      customer_id: f.number.int({ min: 1, max: opts.customers }),
      ordered_at: new Date(dayStart + k * 3_600_000).toISOString(),
      status: 'completed',
      channel: 'app',
      country: 'US',
      items: [{ product_id: 1, quantity: 1, unit_price: Math.abs(total) }],
      discount: 0,
      total,
      payment: { card_number: f.finance.creditCardNumber({ issuer: 'visa' }), card_expiry: '12/29' },
      client_ip: f.internet.ipv4(),
      gift_message: null,
    };
    await write(os, JSON.stringify(order) + '\n');
  }
  os.end();
  await finished(os);
  return { day, events, eventCount, usualEvents, orders, orderCount };
}

/** Mostly harmless text; now and then a phone number or an email address. */
function giftMessage(f: Faker, c: PersonalCustomer): string | null {
  const r = f.number.float({ min: 0, max: 1 });
  if (r < 0.6) return null;
  if (r < 0.85) return f.helpers.arrayElement(['Happy birthday!', 'Enjoy the beans :)', 'Congrats on the new job', 'For the office, thanks team']);
  if (r < 0.93) return `Please call ${c.phone} when you arrive`;
  return `Send the invoice to ${c.email}, thanks`;
}

/** A support message; many carry contact details or a card number the customer pasted in. */
function ticketBody(f: Faker, c: PersonalCustomer): string {
  const opener = f.helpers.arrayElement([
    'Hi, my order has not arrived yet.',
    'Hello, I was charged twice for the same order.',
    'The grinder I bought stopped working after a week.',
    'Can I change the delivery address of my subscription?',
    'I would like a refund for the damaged bag of beans.',
  ]);
  const extra = f.helpers.weightedArrayElement([
    { value: '', weight: 40 },
    { value: ` You can reach me at ${c.email}.`, weight: 20 },
    { value: ` Call me on ${c.phone} please.`, weight: 15 },
    { value: ` The card was ${f.finance.creditCardNumber({ issuer: 'mastercard' })}.`, weight: 10 },
    { value: ` Refund to my account ${f.finance.iban({ formatted: true, countryCode: 'DE' })} please.`, weight: 8 },
    { value: ` My IP is ${f.internet.ipv4()} if that helps.`, weight: 7 },
  ]);
  return `${opener}${extra} Thanks!`;
}
