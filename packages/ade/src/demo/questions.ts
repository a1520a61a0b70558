/** Business questions the demo answers on the clean zone, as an analyst would ask them. */
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
FROM clean.orders
WHERE status = 'completed'
GROUP BY 1 ORDER BY 1 DESC LIMIT 6`,
  },
  {
    id: 'top_products',
    title: 'Top 5 products by revenue, with margin',
    sql: `SELECT p.name, p.category,
       sum(i.quantity) AS units,
       round(sum(i.quantity * i.unit_price), 2) AS revenue,
       round(100 * (1 - sum(i.quantity * p.cost) / sum(i.quantity * i.unit_price)), 1) AS margin_pct
FROM clean.order_items i
JOIN clean.orders o USING (order_id)
JOIN clean.products p USING (product_id)
WHERE o.status = 'completed'
GROUP BY 1, 2 ORDER BY revenue DESC LIMIT 5`,
  },
  {
    id: 'funnel',
    title: 'App funnel: visits reaching each step (distinct anonymous ids)',
    sql: `WITH steps AS (
  SELECT event, count(DISTINCT anonymous_id) AS visitors
  FROM clean.events GROUP BY event
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
    sql: `WITH per_customer AS (
  SELECT c.plan, c.customer_id, count(o.order_id) AS orders
  FROM clean.customers c
  LEFT JOIN clean.orders o ON o.customer_id = c.customer_id AND o.status = 'completed'
  GROUP BY 1, 2
)
SELECT plan,
       count(*) AS customers,
       count(*) FILTER (WHERE orders >= 1) AS buyers,
       round(100.0 * count(*) FILTER (WHERE orders >= 2) / nullif(count(*) FILTER (WHERE orders >= 1), 0), 1) AS repeat_pct
FROM per_customer GROUP BY plan ORDER BY repeat_pct DESC`,
  },
  {
    id: 'revenue_by_country',
    title: 'Revenue by country and channel share of app orders',
    sql: `SELECT country,
       round(sum(total), 2) AS revenue,
       count(*) AS orders,
       round(100.0 * count(*) FILTER (WHERE channel = 'app') / count(*), 1) AS app_share_pct
FROM clean.orders WHERE status = 'completed'
GROUP BY 1 ORDER BY revenue DESC`,
  },
];

/** How the demo turns raw (personal) tables into clean ones until the privacy pipeline lands. */
export const CLEAN_DERIVATIONS: readonly { readonly table: string; readonly from: readonly string[]; readonly description: string; readonly sql: string }[] = [
  {
    table: 'clean.customers',
    from: ['raw.customers'],
    description: 'Customers without direct identifiers: birth date generalised to the year',
    sql: `SELECT customer_id, city, country, year(birth_date) AS birth_year, signup_at, plan, marketing_opt_in FROM raw.customers`,
  },
  {
    table: 'clean.orders',
    from: ['raw.orders'],
    description: 'Orders without payment card or client IP',
    sql: `SELECT order_id, customer_id, CAST(ordered_at AS TIMESTAMP) AS ordered_at, status, channel, country,
       len(items) AS item_count, discount, total FROM raw.orders`,
  },
  {
    table: 'clean.order_items',
    from: ['raw.orders'],
    description: 'One row per ordered product',
    sql: `SELECT order_id, item.product_id AS product_id, item.quantity AS quantity, item.unit_price AS unit_price
FROM (SELECT order_id, unnest(items) AS item FROM raw.orders)`,
  },
  {
    table: 'clean.events',
    from: ['raw.events'],
    description: 'App events without IP addresses',
    sql: `SELECT event_id, anonymous_id, user_id, event, CAST("timestamp" AS TIMESTAMP) AS event_at,
       properties.product_id AS product_id, properties.category AS category, properties.referrer AS referrer,
       context.os AS os, context.device AS device, context.app_version AS app_version
FROM raw.events`,
  },
];
