import pc from 'picocolors';
import { analyzeExperiment, type ExperimentAnalysis, type MetricAnalysis } from '../../experiments/analyze-experiment.js';
import type { ExperimentConfig } from '../../experiments/experiment-config.js';
import { formatTableRef, NotFoundError, ValidationError } from '../../kernel/index.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

export interface ExpOptions {
  asOf?: string;
  correction?: string;
  stored?: boolean;
}

/**
 * `ade exp list | show <key> | analyze <key> [--as-of t]`: the experiments
 * of ade.yaml, one experiment's definition and stored analyses, or a new
 * analysis (stored; the same as-of again replaces it).
 */
export async function expCommand(ctx: CommandContext, action: string, key: string | undefined, opts: ExpOptions): Promise<void> {
  const experiments = ctx.project.experiments;
  if (action === 'list') {
    const rows = await Promise.all(
      experiments.map(async (e) => {
        const [latest] = await ctx.lake.catalog.listExperimentAnalyses(e.key, { limit: 1 });
        return { key: e.key, status: e.status, variants: e.variants.map((v) => v.name), owner: e.owner ?? null, primary: e.metrics.primary, lastAnalysis: latest?.asOf.toISOString() ?? null };
      }),
    );
    ctx.out.result(rows, () =>
      rows.length === 0
        ? 'no experiments in ade.yaml (see docs/experiments.md)'
        : renderTable(
            ['experiment', 'status', 'variants', 'owner', 'primary metrics', 'last analysis'],
            rows.map((r) => [r.key, r.status, r.variants.join(', '), r.owner ?? '', r.primary.join(', '), r.lastAnalysis ?? 'never']),
          ),
    );
    return;
  }
  if (action !== 'show' && action !== 'analyze') throw new ValidationError(`unknown exp action ${JSON.stringify(action)}`, { hint: 'use list, show <key> or analyze <key>' });
  if (!key) throw new ValidationError(`ade exp ${action} needs an experiment key`, { hint: `experiments: ${experiments.map((e) => e.key).join(', ') || 'none yet'}` });
  const experiment = experiments.find((e) => e.key === key);
  if (!experiment) throw new NotFoundError('experiment', key, { hint: `experiments in ade.yaml: ${experiments.map((e) => e.key).join(', ') || 'none'}` });
  if (action === 'show') {
    const analyses = await ctx.lake.catalog.listExperimentAnalyses(key, { limit: 20 });
    const latest = analyses[0]?.result as ExperimentAnalysis | undefined;
    ctx.out.result({ experiment, analyses: analyses.map((a) => ({ id: a.id, asOf: a.asOf, computedAt: a.computedAt, computedBy: a.computedBy })), latest: latest ?? null }, () =>
      [describe(experiment), '', latest ? render(latest) : `not analysed yet: ade exp analyze ${key}`].join('\n'),
    );
    return;
  }
  let asOf: Date | undefined;
  if (opts.asOf !== undefined) {
    asOf = new Date(opts.asOf);
    if (Number.isNaN(asOf.getTime())) throw new ValidationError(`--as-of ${JSON.stringify(opts.asOf)} is not a time`, { hint: 'e.g. --as-of 2026-11-01 or 2026-11-01T12:00:00Z' });
  }
  const correction = (opts.correction ?? 'holm') as 'holm' | 'benjamini-hochberg' | 'none';
  if (!['holm', 'benjamini-hochberg', 'none'].includes(correction)) throw new ValidationError(`unknown --correction ${opts.correction}`, { hint: 'holm, benjamini-hochberg or none' });
  const analysis = await analyzeExperiment(ctx.lake, ctx.principal, experiment, ctx.project.metrics, { ...(asOf ? { asOf } : {}), correction, quality: ctx.quality });
  ctx.out.result(analysis, () => render(analysis));
}

function describe(e: ExperimentConfig): string {
  const total = e.variants.reduce((n, v) => n + v.weight, 0);
  return [
    pc.bold(`${e.key} (${e.status})`) + (e.owner ? ` — owner ${e.owner}` : ''),
    ...(e.hypothesis ? [`  hypothesis: ${e.hypothesis}`] : []),
    `  variants: ${e.variants.map((v) => `${v.name} ${((v.weight / total) * 100).toFixed(0)}%`).join(', ')}; coverage ${(e.coverage * 100).toFixed(0)}%; seed ${e.seed}${e.namespace ? `; namespace ${e.namespace.name} [${e.namespace.range.join(', ')})` : ''}`,
    `  exposures: ${formatTableRef(e.exposures.table)} (${e.exposures.format && e.exposures.format !== 'ade' ? `${e.exposures.format}${e.import?.id ? ` experiment ${e.import.id}` : ''}; ` : ''}unit ${e.exposures.unit}, variant ${e.exposures.variant})`,
    `  metrics: primary ${e.metrics.primary.join(', ')}${e.metrics.secondary.length ? `; secondary ${e.metrics.secondary.join(', ')}` : ''}${e.metrics.guardrails.length ? `; guardrails ${e.metrics.guardrails.join(', ')}` : ''}`,
  ].join('\n');
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(3) : x.toPrecision(3));
const p = (x: number) => (x < 0.0001 ? '<0.0001' : x.toFixed(4));

/** An analysis as tables: units and SRM, then per metric each treatment's lift, interval, p-values and chance to win, with the interval drawn. */
export function render(a: ExperimentAnalysis): string {
  const out: string[] = [];
  out.push(pc.bold(`${a.experiment} as of ${a.asOf}`));
  const srm = a.srm;
  out.push(
    `  units: ${a.units.map((u) => `${u.variant} ${u.units.toLocaleString('en-US')}`).join(', ')}${a.multipleExposures ? ` (${a.multipleExposures} seen in two variants, left out)` : ''}`,
    srm
      ? `  sample ratio: ${srm.mismatch ? pc.red(`MISMATCH (p ${srm.pValue.toExponential(2)}) — do not trust these results`) : pc.green(`ok (p ${srm.pValue.toFixed(3)})`)}`
      : '  sample ratio: no exposures yet',
  );
  const unmapped = a.unmappedExposures;
  if (unmapped?.rows) {
    out.push(
      pc.yellow(
        `  unmapped: ${unmapped.rows.toLocaleString('en-US')} exposures (${unmapped.units.toLocaleString('en-US')} units) with variant ids that name no variant: ${unmapped.variantIds.join(', ')} — left out; map them in the experiment's import.variants`,
      ),
    );
  }
  for (const m of a.metrics) out.push('', renderMetric(m, a.control));
  out.push('', pc.dim(`p (adj): ${a.correction} across every variant × metric; CI: 95% unless alpha says otherwise; the sequential interval stays valid however often you look.`));
  return out.join('\n');
}

function renderMetric(m: MetricAnalysis, control: string): string {
  const head = pc.bold(`${m.metric}`) + pc.dim(` (${m.role}, ${m.type}${m.cuped ? `, CUPED −${(m.cuped.varianceReduction * 100).toFixed(0)}% variance` : ''})`);
  if (m.error) return `${head}\n  ${pc.red(m.error.message)}${m.error.hint ? pc.dim(` (${m.error.hint})`) : ''}`;
  const ctl = m.variants.find((v) => v.variant === control);
  const rows = m.comparisons.map((c) => {
    const rel = c.frequentist.relative;
    const effect = rel ?? c.frequentist.absolute;
    const good = (effect.estimate > 0) === m.higherIsBetter;
    const significant = c.adjustedPValue < c.frequentist.alpha;
    const lift = rel ? pct(rel.estimate) : num(c.frequentist.absolute.estimate);
    const ci = rel ? `[${pct(rel.ci[0])}, ${pct(rel.ci[1])}]` : `[${num(effect.ci[0])}, ${num(effect.ci[1])}]`;
    const seq = c.sequential.relative ?? c.sequential.absolute;
    const seqCi = rel ? `[${pct(seq.ci[0])}, ${pct(seq.ci[1])}]` : `[${num(seq.ci[0])}, ${num(seq.ci[1])}]`;
    const win = (c.bayesian.relative ?? c.bayesian.absolute).chanceToWin;
    const chance = m.higherIsBetter ? win : 1 - win;
    const v = m.variants.find((x) => x.variant === c.variant)!;
    return [
      c.variant,
      v.n.toLocaleString('en-US'),
      num(v.estimate),
      significant ? (good ? pc.green(lift) : pc.red(lift)) : lift,
      ci,
      interval(effect.ci, effect.estimate),
      p(effect.pValue),
      p(c.adjustedPValue),
      `${(chance * 100).toFixed(1)}%`,
      seqCi,
    ];
  });
  const power = m.power
    ? `\n  ${pc.dim(`power: with these units the smallest lift detectable at 80% power is ${m.power.mdeRelative !== null ? pct(m.power.mdeRelative).replace('+', '') : num(m.power.mdeAbsolute)}${m.power.unitsPerVariantForMde !== undefined ? `; the experiment's MDE needs ${m.power.unitsPerVariantForMde.toLocaleString('en-US')} units per variant` : ''}`)}`
    : '';
  return `${head}\n${renderTable(
    ['variant', 'units', 'value', 'lift', 'CI', `vs ${control} ${ctl ? `(${num(ctl.estimate)})` : ''}`, 'p', 'p (adj)', 'chance to win', 'sequential CI'],
    rows,
  )}${power}`;
}

/** A 21-character drawing of an interval around 0: `----[---|-●--]------`, scaled to ±max(|bounds|). */
function interval(ci: readonly [number, number], estimate: number): string {
  const width = 21;
  const span = Math.max(Math.abs(ci[0]), Math.abs(ci[1]), 1e-12);
  const at = (x: number) => Math.max(0, Math.min(width - 1, Math.round(((x / span + 1) / 2) * (width - 1))));
  const chars = Array.from({ length: width }, () => ' ');
  const [lo, hi] = [at(ci[0]), at(ci[1])];
  for (let i = lo; i <= hi; i++) chars[i] = '─';
  chars[at(0)] = '|';
  chars[lo] = '[';
  chars[hi] = ']';
  chars[at(estimate)] = '●';
  return chars.join('');
}
