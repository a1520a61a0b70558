/**
 * Business questions the demo answers as an analyst would ask them: on the
 * clean zone, and on the tables its models build (see demo-models.ts).
 */
export interface Question {
  readonly id: string;
  readonly title: string;
  readonly sql: string;
}

export const DEMO_QUESTIONS: readonly Question[] = [
  {
    id: 'monthly_revenue',
    title: 'Revenue, orders and average order value per month (completed orders, last 6 months)',
    sql: `SELECT strftime(date_trunc('month', ordered_at), '%Y-%m') AS month,
       count(*) AS orders,
       round(sum(total), 2) AS revenue,
       round(avg(total), 2) AS avg_order_value
FROM model.order_f
WHERE is_completed
GROUP BY 1 ORDER BY 1 DESC LIMIT 6`,
  },
  {
    id: 'top_products',
    title: 'Top 5 products by revenue, with margin',
    sql: `SELECT p.name, p.category,
       sum(i.quantity) AS units,
       round(sum(i.quantity * i.unit_price), 2) AS revenue,
       round(100 * (1 - sum(i.quantity * p.cost) / sum(i.quantity * i.unit_price)), 1) AS margin_pct
FROM model.order_item_f i
JOIN model.product_d p USING (product_sk)
WHERE i.status = 'completed'
GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 5`,
  },
  {
    id: 'funnel',
    title: 'App funnel: visits reaching each step (distinct anonymous ids)',
    sql: `WITH steps AS (
  SELECT event, count(DISTINCT anonymous_id) AS visitors
  FROM clean.events
  WHERE event IN ('app_open', 'product_viewed', 'added_to_cart', 'checkout_started', 'order_completed')
  GROUP BY event
)
SELECT event AS step, visitors,
       round(100.0 * visitors / max(visitors) OVER (), 1) AS pct_of_visits
FROM steps
ORDER BY CASE event WHEN 'app_open' THEN 1 WHEN 'product_viewed' THEN 2 WHEN 'added_to_cart' THEN 3
                    WHEN 'checkout_started' THEN 4 WHEN 'order_completed' THEN 5 END`,
  },
  {
    id: 'repeat_rate',
    title: 'Repeat purchase rate by plan',
    sql: `SELECT plan,
       count(*) AS customers,
       count(*) FILTER (WHERE completed_orders >= 1) AS buyers,
       round(100.0 * count(*) FILTER (WHERE completed_orders >= 2) / nullif(count(*) FILTER (WHERE completed_orders >= 1), 0), 1) AS repeat_pct
FROM report.customer_360 GROUP BY plan ORDER BY repeat_pct DESC`,
  },
  {
    id: 'revenue_by_country',
    title: 'Revenue by country and channel share of app orders',
    sql: `SELECT country,
       round(sum(total), 2) AS revenue,
       count(*) AS orders,
       round(100.0 * count(*) FILTER (WHERE channel = 'app') / count(*), 1) AS app_share_pct
FROM model.order_f WHERE is_completed
GROUP BY 1 ORDER BY revenue DESC`,
  },
  {
    id: 'sessions_by_device',
    title: 'App sessions by device: events per session and conversion',
    sql: `SELECT os, device,
       count(*) AS sessions,
       round(avg(events), 1) AS events_per_session,
       round(100.0 * count(*) FILTER (WHERE converted) / count(*), 1) AS conversion_pct
FROM model.session_day_d
GROUP BY 1, 2 ORDER BY sessions DESC`,
  },
  {
    id: 'support_topics',
    title: 'Support tickets by topic, and how many carried personal data (redacted at ingest)',
    sql: `SELECT topic,
       count(*) AS tickets,
       count(*) FILTER (WHERE regexp_matches(body, '\\[(EMAIL|PHONE|CARD|IBAN|IPV4):tok_')) AS with_personal_data,
       round(avg(satisfaction), 2) AS avg_satisfaction
FROM clean.support
GROUP BY 1 ORDER BY tickets DESC`,
  },
];

/**
 * The demo's sources, as written into its ade.yaml: what each field is and
 * what happens to it at the door. Fields no policy names are scanned by the
 * detectors (gift messages, receipt emails nested in event properties).
 */
export const DEMO_SOURCES_YAML = `
# Sources: files arrive in data/; \`ade ingest <source>\` copies them to the raw
# zone, quarantines bad rows and writes obfuscated rows to clean.<source>.
sources:
  customers:
    format: csv
    location: data/customers.csv
    event_id: customer_id
    event_time: signup_at
    schema: { customer_id: BIGINT, postal_code: VARCHAR, birth_date: DATE, signup_at: TIMESTAMP }
    fields:
      first_name: { tokenize: text }
      last_name: drop
      email: { tokenize: email }
      phone: { tokenize: phone }
      street_address: drop
      postal_code: { generalize: zip, digits: 3 }
      birth_date: { generalize: year }
      city: keep
      country: keep
      plan: keep
      marketing_opt_in: keep
  products:
    format: csv
    location: data/products.csv
    event_id: product_id
    schema: { product_id: BIGINT, price: DOUBLE, cost: DOUBLE }
    fields:
      name: keep    # a product name: without this, the field-name heuristic would tokenize it as a person's
  orders:
    format: ndjson
    location: data/orders.ndjson
    event_id: order_id
    event_time: ordered_at
    fields:
      payment.card_number: { mask: 4 }
      payment.card_expiry: drop
      client_ip: { generalize: ip }
  events:
    format: ndjson
    location: data/events.ndjson
    event_id: event_id
    event_time: timestamp
    fields:
      context.ip: { generalize: ip }
  support:
    format: ndjson
    location: data/support.ndjson
    event_id: ticket_id
    event_time: created_at
    fields:
      body: redact
  account_changes:
    # The app backend's accounts table as a change stream (Debezium), posted
    # to ade serve's /v1/cdc/account_changes; model.account_current applies it.
    format: ndjson
    cdc: { key: [account_id] }
    fields:
      email: { tokenize: email }
`;
