import { AdeError } from '../kernel/index.js';

type AdeErrorOptions = ConstructorParameters<typeof AdeError>[2];

/** An ingest failure. Messages name files, lines and fields — never values from the input. */
export class IngestError extends AdeError {
  constructor(code: string, message: string, options: AdeErrorOptions = {}) {
    super(code, message, options);
  }
}

/** Quoted text in a message (where DuckDB puts input values) replaced by `…`. */
export function scrubText(s: string): string {
  return s
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .slice(0, 500);
}

/**
 * An error safe to print: ade's own ingest, privacy and validation errors pass
 * (they never carry values); anything else — DuckDB's messages quote input
 * values — is wrapped with its quoted parts removed and no cause attached.
 */
export function scrub(e: unknown, context: string): AdeError {
  if (e instanceof IngestError) return e;
  if (e instanceof AdeError && /^(privacy|validation|config|catalog|storage|permission|not_found|load|quality)\./.test(e.code) && !/engine/.test(e.code)) return e;
  const message = e instanceof Error ? e.message.split('\n')[0]! : String(e);
  const code = e instanceof AdeError ? e.code : 'ingest.failed';
  return new IngestError(code.startsWith('ingest.') ? code : 'ingest.failed', `${context}: ${scrubText(message)}`, {
    hint: 'the input file is kept in the raw zone; fix the problem and run the ingest again (it resumes where it stopped)',
  });
}
