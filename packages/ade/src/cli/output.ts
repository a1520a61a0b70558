import Table from 'cli-table3';
import pc from 'picocolors';
import { isAdeError } from '../kernel/index.js';

/** Where a command writes: results on stdout, progress and errors on stderr. */
export interface Output {
  readonly json: boolean;
  readonly quiet: boolean;
  /** True when stderr is a terminal (progress bars and colour). */
  readonly interactive: boolean;
  /** Prints a structured result: JSON with --json, else the human rendering. */
  result(value: unknown, human: () => string): void;
  info(line: string): void;
  error(e: unknown): void;
}

export function createOutput(opts: { json?: boolean; quiet?: boolean }): Output {
  const interactive = Boolean(process.stderr.isTTY) && !opts.json && !opts.quiet;
  return {
    json: Boolean(opts.json),
    quiet: Boolean(opts.quiet),
    interactive,
    result(value, human) {
      if (opts.json) process.stdout.write(JSON.stringify(value, jsonReplacer, 2) + '\n');
      else {
        const text = human();
        if (text) process.stdout.write(text.endsWith('\n') ? text : text + '\n');
      }
    },
    info(line) {
      if (!opts.quiet && !opts.json) process.stderr.write(line + '\n');
    },
    error(e) {
      if (opts.json) {
        const body = isAdeError(e) ? e.toJSON() : { error: 'internal', message: e instanceof Error ? e.message : String(e) };
        process.stderr.write(JSON.stringify(body) + '\n');
        return;
      }
      if (isAdeError(e)) {
        process.stderr.write(`${pc.red('error')} ${e.message}${e.hint ? `\n  ${pc.dim('hint:')} ${e.hint}` : ''}\n`);
      } else {
        const err = e instanceof Error ? e : new Error(String(e));
        process.stderr.write(`${pc.red('internal error')} ${err.message}\n  ${pc.dim('hint:')} this is a bug in ade; please report it with the command you ran\n`);
        if (process.env.ADE_DEBUG) process.stderr.write(`${err.stack}\n`);
      }
    },
  };
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  return value;
}

/** A boxed table for terminals. */
export function renderTable(head: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const t = new Table({ head: head.map((h) => pc.bold(h)), style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const r of rows) t.push(r.map(cell));
  return t.toString();
}

export function cell(v: unknown): string {
  if (v === null || v === undefined) return pc.dim('NULL');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return JSON.stringify(v, jsonReplacer);
  const s = String(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}
