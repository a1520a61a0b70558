import { assign } from '@ade/sdk';

/**
 * The demo's experiments, as the app runs them: which customers see which
 * variant is decided by the SDK's hashing (docs/experiments.md
 * "Assignment"), and the app logs each customer's first exposure as a
 * Segment `Experiment Viewed` event into data/events.ndjson. The dataset
 * generator uses these to write the exposures and to build a true effect
 * into the orders; ade.yaml gets `DEMO_EXPERIMENTS_YAML`.
 */
export interface DemoExperiment {
  readonly key: string;
  /** The first variant is the control; equal weights. */
  readonly variants: readonly [string, string];
  /** The hash seed (ade.yaml `seed:`). */
  readonly seed: string;
  /** Exposures start on the customer's first app visit from this day on. */
  readonly start: string;
}

/**
 * `checkout_button`: a green checkout button. Treatment customers place
 * more completed orders in the two weeks after their first exposure (a true
 * effect the generator builds in); their app sessions are untouched.
 */
export const CHECKOUT_BUTTON: DemoExperiment = {
  key: 'checkout_button',
  variants: ['control', 'green_button'],
  seed: 'checkout_button',
  start: '2026-05-01',
};

/**
 * `onboarding_email`: a welcome email series. The Android app and Safari
 * drop the exposure of the `welcome_series` variant, so that variant is
 * under-counted — a broken sample ratio the analysis flags.
 */
export const ONBOARDING_EMAIL: DemoExperiment = { key: 'onboarding_email', variants: ['control', 'welcome_series'], seed: 'onboarding_email', start: '2026-05-01' };

export const DEMO_EXPERIMENTS: readonly DemoExperiment[] = [CHECKOUT_BUTTON, ONBOARDING_EMAIL];

/**
 * Chance that an exposed `green_button` customer places one extra completed
 * order within 14 days of the exposure (the built-in effect).
 */
export const CHECKOUT_EXTRA_ORDER_CHANCE = 0.25;

/**
 * The variant the SDK assigns `unitId` in a running two-variant experiment
 * with equal weights and full coverage: the app's own call, for the generator.
 */
export function demoVariant(e: DemoExperiment, unitId: string): { readonly variant: string; readonly index: 0 | 1; readonly hashValue: number } {
  const a = assign({ key: e.key, seed: e.seed, status: 'running', variants: e.variants.map((name) => ({ name, weight: 1 })) }, unitId);
  return { variant: a.variant, index: a.variationIndex === 0 ? 0 : 1, hashValue: a.hashValue };
}

/**
 * The demo's metrics and experiments (appended to its ade.yaml). Exposures
 * are the app's `Experiment Viewed` events in clean.events.
 */
export const DEMO_EXPERIMENTS_YAML = `
# Experiments (docs/experiments.md): metrics in SQL over lake tables, and the
# app's A/B tests. \`ade exp analyze <key>\` analyses one as of now.
metrics:
  purchased_14d:
    description: placed a completed order within 14 days of first exposure
    type: binomial
    table: model.order_f
    unit: customer_id
    time: ordered_at
    where: is_completed
    window: 14d
  app_sessions_14d:
    description: app sessions in the 14 days after first exposure
    type: mean
    table: model.session_day_d
    unit: customer_id
    time: started_at
    window: 14d

# The app's SDK logs a customer's first exposure as a Segment track call.
exposures:
  table: clean.events
  unit: user_id
  variant: properties_variation_id
  time: timestamp
  key: properties_experiment_key
  where: event = 'Experiment Viewed'

experiments:
  ${CHECKOUT_BUTTON.key}:
    hypothesis: A green checkout button makes more customers complete an order
    owner: growth
    status: running
    variants: [${CHECKOUT_BUTTON.variants.join(', ')}]
    seed: ${CHECKOUT_BUTTON.seed}
    start: ${CHECKOUT_BUTTON.start}
    metrics: { primary: [purchased_14d], secondary: [app_sessions_14d] }
    mde: 0.2
  ${ONBOARDING_EMAIL.key}:
    hypothesis: A welcome email series brings new customers back to the app
    owner: lifecycle
    status: running
    variants: [${ONBOARDING_EMAIL.variants.join(', ')}]
    start: ${ONBOARDING_EMAIL.start}
    metrics: { primary: [app_sessions_14d], secondary: [purchased_14d] }
`;
