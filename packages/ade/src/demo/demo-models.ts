import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** A model file the demo project ships under `models/`. */
export interface DemoModelFile {
  /** The file, relative to the project: `models/<zone>/<name>.sql`. */
  readonly path: string;
  /** The table it builds (`zone.name`). */
  readonly table: string;
  /** The file's text: a YAML header in a block comment, then one SELECT. */
  readonly sql: string;
}

/**
 * The demo's base model, built by the same builder as `ade run`: two
 * dimensions, three facts over the ingested sources, a day model of app
 * sessions, and two reports (see docs/demo.md).
 */
export const DEMO_MODELS: readonly DemoModelFile[] = [
  {
    path: 'models/model/customer_d.sql',
    table: 'model.customer_d',
    sql: `/*
kind: dimension
key: customer_id
description: One row per customer, from clean.customers. Names, emails and phones are tokens; postal codes and birth dates were generalized at ingest.
columns:
  customer_sk: surrogate key (UUIDv5 of the table and customer_id), what facts join on
  customer_id: the shop's customer number
  plan: the customer's plan (free, basic, plus, pro)
  country: ISO country code
  city: city as the customer typed it
  postal_area: the postal code's first 3 digits
  birth_year: year of birth
  signup_at: when the customer signed up
  signup_day: the day of signup_at
  marketing_opt_in: whether the customer accepts marketing email
  first_name: token of the first name (tok_…)
  email: token of the email address (tok_…)
  phone: token of the phone number (tok_…)
*/
SELECT
  customer_id,
  plan,
  country,
  city,
  postal_code AS postal_area,
  birth_date AS birth_year,
  signup_at,
  CAST(signup_at AS DATE) AS signup_day,
  marketing_opt_in,
  first_name,
  email,
  phone
FROM ref('clean.customers')
`,
  },
  {
    path: 'models/model/product_d.sql',
    table: 'model.product_d',
    sql: `/*
kind: dimension
key: product_id
description: One row per product in the catalogue, from clean.products, with its unit margin.
columns:
  product_sk: surrogate key (UUIDv5 of the table and product_id), what facts join on
  product_id: the shop's product number
  sku: stock-keeping unit
  name: product name
  category: Coffee, Tea, Equipment, Accessories, Snacks or Gift cards
  price: list price
  cost: unit cost
  margin_pct: 100 × (price − cost) / price
  launched_on: the day the product went on sale
*/
SELECT
  product_id,
  sku,
  name,
  category,
  price,
  cost,
  round(100 * (price - cost) / nullif(price, 0), 1) AS margin_pct,
  launched_on
FROM ref('clean.products')
`,
  },
  {
    path: 'models/model/order_f.sql',
    table: 'model.order_f',
    sql: `/*
kind: fact
time: ordered_at
description: One row per order, from clean.orders, with the customer's surrogate key. Each ingested batch of orders is appended once.
columns:
  order_id: the order number
  customer_sk: model.customer_d's key for customer_id (computed with sk(), no join)
  ordered_at: when the order was placed
  order_day: the day of ordered_at
  status: completed, refunded or cancelled
  is_completed: status = 'completed' (what revenue counts)
  lines: number of products in the order
  units: number of items (sum of the quantities)
  gross: sum of quantity × unit price, before the discount
  discount: discount granted on the order
  total: what the customer paid (gross − discount)
checks:
  - unique: order_id
  - relationships: { column: customer_id, to: clean.customers }
  - sql: SELECT order_id, gross, discount, total FROM model.order_f WHERE abs(gross - discount - total) > 0.01
    name: total_is_gross_minus_discount
*/
WITH o AS (
  SELECT *, from_json(items, '[{"product_id":"BIGINT","quantity":"INTEGER","unit_price":"DOUBLE"}]') AS item_list
  FROM ref('clean.orders')
)
SELECT
  order_id,
  sk('model.customer_d', customer_id) AS customer_sk,
  customer_id,
  ordered_at,
  CAST(ordered_at AS DATE) AS order_day,
  status,
  status = 'completed' AS is_completed,
  channel,
  country,
  len(item_list) AS lines,
  list_sum(list_transform(item_list, i -> i.quantity)) AS units,
  round(list_sum(list_transform(item_list, i -> i.quantity * i.unit_price)), 2) AS gross,
  discount,
  total
FROM o
`,
  },
  {
    path: 'models/model/order_item_f.sql',
    table: 'model.order_item_f',
    sql: `/*
kind: fact
time: ordered_at
description: One row per ordered product (each item of each order in clean.orders), with customer and product surrogate keys.
columns:
  order_id: the order the line belongs to
  line: the line's position in the order (1, 2, …)
  customer_sk: model.customer_d's key (sk() of customer_id)
  product_sk: model.product_d's key (sk() of product_id)
  quantity: items of the product
  unit_price: price of one item when ordered
  line_total: quantity × unit price (before the order's discount)
*/
WITH o AS (
  SELECT order_id, customer_id, ordered_at, status, channel, country,
         from_json(items, '[{"product_id":"BIGINT","quantity":"INTEGER","unit_price":"DOUBLE"}]') AS item_list
  FROM ref('clean.orders')
)
SELECT
  o.order_id,
  l.line,
  sk('model.customer_d', o.customer_id) AS customer_sk,
  sk('model.product_d', l.item.product_id) AS product_sk,
  o.customer_id,
  l.item.product_id AS product_id,
  o.ordered_at,
  CAST(o.ordered_at AS DATE) AS order_day,
  o.status,
  o.channel,
  o.country,
  l.item.quantity AS quantity,
  l.item.unit_price AS unit_price,
  round(l.item.quantity * l.item.unit_price, 2) AS line_total
FROM o, unnest(list_transform(o.item_list, (x, i) -> {line: i, item: x})) AS t(l)
`,
  },
  {
    path: 'models/model/event_f.sql',
    table: 'model.event_f',
    sql: `/*
kind: fact
time: event_at
description: One row per app event, from clean.events, with the customer's surrogate key when the visitor was signed in.
columns:
  event_id: the event's id (resent events were dropped at ingest)
  anonymous_id: the visit's anonymous id
  customer_sk: model.customer_d's key (sk() of customer_id), NULL for anonymous visitors
  customer_id: the signed-in customer (user_id as a number)
  event: app_open, product_viewed, added_to_cart, checkout_started or order_completed
  event_at: when it happened
  product_sk: model.product_d's key of the product viewed, added or bought
*/
WITH e AS (
  SELECT *, TRY_CAST(user_id AS BIGINT) AS customer_id
  FROM ref('clean.events')
)
SELECT
  event_id,
  anonymous_id,
  CASE WHEN customer_id IS NOT NULL THEN sk('model.customer_d', customer_id) END AS customer_sk,
  customer_id,
  event,
  "timestamp" AS event_at,
  CASE WHEN properties_product_id IS NOT NULL THEN sk('model.product_d', properties_product_id) END AS product_sk,
  properties_product_id AS product_id,
  properties_category AS category,
  properties_price AS price,
  properties_referrer AS referrer,
  context_os AS os,
  context_device AS device,
  context_app_version AS app_version
FROM e
`,
  },
  {
    path: 'models/model/session_day_d.sql',
    table: 'model.session_day_d',
    sql: `/*
kind: day
time: session_day
description: One row per app session per day, from model.event_f read one day at a time. A session is a visitor's (anonymous_id) run of events with no gap over 30 minutes; a session that crosses midnight has a row on each day.
columns:
  session_day: the day (the table's day partitions)
  session_id: anonymous_id/day/n, n counting the visitor's sessions that day
  customer_sk: model.customer_d's key, NULL for anonymous visitors
  events: events in the session
  converted: the session reached order_completed
checks:
  - not_null: [session_id, session_day]
  - unique: session_id
  - range: { column: events, min: 1 }
*/
WITH e AS (
  SELECT
    *,
    CAST(event_at AS DATE) AS session_day,
    coalesce(event_at - lag(event_at) OVER visit > INTERVAL 30 MINUTE, true) AS starts_session
  FROM ref('model.event_f')
  WINDOW visit AS (PARTITION BY anonymous_id, CAST(event_at AS DATE) ORDER BY event_at, event_id)
),
numbered AS (
  SELECT
    *,
    sum(CAST(starts_session AS INTEGER)) OVER (PARTITION BY anonymous_id, session_day ORDER BY event_at, event_id ROWS UNBOUNDED PRECEDING) AS session_number
  FROM e
)
SELECT
  session_day,
  CAST(anonymous_id AS VARCHAR) || '/' || strftime(session_day, '%Y-%m-%d') || '/' || session_number AS session_id,
  anonymous_id,
  max(customer_sk) AS customer_sk,
  max(customer_id) AS customer_id,
  min(event_at) AS started_at,
  max(event_at) AS ended_at,
  CAST(date_diff('second', min(event_at), max(event_at)) AS INTEGER) AS duration_seconds,
  count(*) AS events,
  count(*) FILTER (WHERE event = 'product_viewed') AS product_views,
  count(*) FILTER (WHERE event = 'added_to_cart') AS added_to_cart,
  count(*) FILTER (WHERE event = 'checkout_started') AS checkouts,
  bool_or(event = 'order_completed') AS converted,
  arg_min(os, event_at) AS os,
  arg_min(device, event_at) AS device,
  arg_min(referrer, event_at) AS referrer
FROM numbered
GROUP BY session_day, anonymous_id, session_number
`,
  },
  {
    path: 'models/report/daily_product_revenue.sql',
    table: 'report.daily_product_revenue',
    sql: `/*
kind: report
description: Revenue per day, product and country, from completed orders (line totals, before order discounts).
columns:
  day: the order day
  orders: completed orders with the product
  units: items sold
  revenue: sum of quantity × unit price
  margin: revenue − units × the product's cost
*/
SELECT
  i.order_day AS day,
  p.product_id,
  p.name AS product,
  p.category,
  i.country,
  count(DISTINCT i.order_id) AS orders,
  sum(i.quantity) AS units,
  round(sum(i.line_total), 2) AS revenue,
  round(sum(i.line_total) - sum(i.quantity * p.cost), 2) AS margin
FROM ref('model.order_item_f') AS i
JOIN ref('model.product_d') AS p ON p.product_sk = i.product_sk
WHERE i.status = 'completed'
GROUP BY ALL
ORDER BY day, revenue DESC
`,
  },
  {
    path: 'models/report/customer_360.sql',
    table: 'report.customer_360',
    sql: `/*
kind: report
description: One row per customer — profile, orders and revenue, first and last order, app events and sessions, support tickets.
columns:
  orders: orders of any status
  completed_orders: completed orders
  revenue: sum of completed orders' totals
  sessions: app sessions (model.session_day_d rows) while signed in
  converted_sessions: sessions that reached order_completed
  tickets: support tickets opened
*/
WITH by_order AS (
  SELECT
    customer_sk,
    count(*) AS orders,
    count(*) FILTER (WHERE is_completed) AS completed_orders,
    sum(total) FILTER (WHERE is_completed) AS revenue,
    min(ordered_at) AS first_order_at,
    max(ordered_at) AS last_order_at
  FROM ref('model.order_f')
  GROUP BY customer_sk
),
by_event AS (
  SELECT customer_sk, count(*) AS events, max(event_at) AS last_seen_at
  FROM ref('model.event_f')
  WHERE customer_sk IS NOT NULL
  GROUP BY customer_sk
),
by_session AS (
  SELECT customer_sk, count(*) AS sessions, count(*) FILTER (WHERE converted) AS converted_sessions
  FROM ref('model.session_day_d')
  WHERE customer_sk IS NOT NULL
  GROUP BY customer_sk
),
by_ticket AS (
  SELECT sk('model.customer_d', customer_id) AS customer_sk, count(*) AS tickets, round(avg(satisfaction), 2) AS avg_satisfaction, max(created_at) AS last_ticket_at
  FROM ref('clean.support')
  GROUP BY 1
)
SELECT
  c.customer_sk,
  c.customer_id,
  c.plan,
  c.country,
  c.signup_day,
  coalesce(o.orders, 0) AS orders,
  coalesce(o.completed_orders, 0) AS completed_orders,
  round(coalesce(o.revenue, 0), 2) AS revenue,
  o.first_order_at,
  o.last_order_at,
  coalesce(e.events, 0) AS events,
  coalesce(s.sessions, 0) AS sessions,
  coalesce(s.converted_sessions, 0) AS converted_sessions,
  e.last_seen_at,
  coalesce(t.tickets, 0) AS tickets,
  t.avg_satisfaction,
  t.last_ticket_at
FROM ref('model.customer_d') AS c
LEFT JOIN by_order AS o ON o.customer_sk = c.customer_sk
LEFT JOIN by_event AS e ON e.customer_sk = c.customer_sk
LEFT JOIN by_session AS s ON s.customer_sk = c.customer_sk
LEFT JOIN by_ticket AS t ON t.customer_sk = c.customer_sk
ORDER BY c.customer_id
`,
  },
  {
    path: 'models/model/account_current.sql',
    table: 'model.account_current',
    sql: `/*
kind: current
key: account_id
time: cdc_position
description: The app backend's accounts as they are now, applied from its Debezium change stream (clean.account_changes) — per account the change with the highest source position (LSN), closed accounts removed.
columns:
  account_id: the app's account id
  cdc_position: source position (LSN) of the change that made the row as it is
  email: token of the account's email (tok_…)
  plan: the account's plan now
  seats: seats paid for
  updated_at: when the app last changed the account
*/
SELECT account_id, cdc_op AS op, cdc_position, email, plan, country, seats, updated_at
FROM ref('clean.account_changes')
`,
  },
];

/**
 * Writes the demo's model files into `projectDir`, keeping any file that is
 * already there (your edits survive another `ade demo`). Returns the paths
 * written.
 */
export async function writeDemoModels(projectDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const m of DEMO_MODELS) {
    const file = join(projectDir, m.path);
    await mkdir(dirname(file), { recursive: true });
    try {
      await writeFile(file, m.sql, { flag: 'wx' });
      written.push(m.path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  return written;
}
