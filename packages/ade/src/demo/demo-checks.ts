/**
 * The demo project's data-quality checks (appended to its ade.yaml). Error
 * checks guard the clean tables a bad file would poison; the events table
 * carries the essay's check — rows per day against the same weekday of the
 * last 10 weeks, 2σ — which the next day's short file trips. The models
 * declare theirs in their headers (see demo-models.ts).
 */
export const DEMO_CHECKS_YAML = `
# Data quality (docs/quality.md): error checks block a bad write (it stays
# staged: ade quality staged), warn checks publish and alert.
checks:
  clean.orders:
    - not_null: [order_id, customer_id, ordered_at, total]
    - unique: order_id
    - range: { column: total, min: 0 }
    - accepted_values: { column: status, values: [completed, refunded, cancelled] }
  clean.customers:
    - not_null: [customer_id, signup_at]
    - unique: customer_id
    - accepted_values: { column: plan, values: [free, basic, plus, pro] }
  clean.events:
    - not_null: [event_id, event, timestamp]
    - anomaly: { metric: rows, by: day, seasonality: weekday, window: 10, sensitivity: 2, direction: drop }
      name: events_per_day
    - anomaly: { metric: null_ratio, column: user_id, by: day, window: 28, sensitivity: 3, floor: 0.1 }
      name: anonymous_share
  clean.support:
    - regex: { column: channel, pattern: '^(email|chat|phone)$' }
      severity: warn

# Where alerts go: uncomment one (URLs and keys come from the environment).
# alerts:
#   sinks:
#     team-slack: { kind: slack, url_env: ADE_SLACK_WEBHOOK }
#     on-call: { kind: opsgenie, api_key_env: OPSGENIE_API_KEY, min_severity: error }
#     hooks: { kind: webhook, url: https://example.com/ade-alerts }
`;
