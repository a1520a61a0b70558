import { Cron } from 'croner';

/** A running cron timer: ade's view of croner (only this file imports it). */
export interface CronTimer {
  /** When it fires next, or null when never again. */
  nextRun(): Date | null;
  stop(): void;
}

const MODE = '5-or-6-parts';

/**
 * Why `pattern` in `timezone` cannot be scheduled, or undefined when it can:
 * five fields (minute hour day month weekday), six with seconds first, or a
 * nickname such as `@hourly`.
 */
export function cronProblem(pattern: string, timezone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    return `unknown time zone ${JSON.stringify(timezone)}`;
  }
  try {
    const probe = new Cron(pattern, { timezone, paused: true, mode: MODE });
    probe.nextRun();
    probe.stop();
    return undefined;
  } catch (e) {
    return (e instanceof Error ? e.message : String(e)).replace(/^CronPattern:\s*/, '');
  }
}

/** Calls `fire` at every time `pattern` names in `timezone` until stopped; the timer does not keep the process alive. */
export function startCron(pattern: string, timezone: string, fire: () => void): CronTimer {
  const job = new Cron(pattern, { timezone, mode: MODE, unref: true }, () => fire());
  return { nextRun: () => job.nextRun(), stop: () => job.stop() };
}
