import { AdeError } from '../kernel/index.js';

/** Root of the lake facade's own errors. */
export class LakeError extends AdeError {}

/** Input that could not be loaded. Names the file and, where known, the line and field. */
export class LoadError extends LakeError {
  constructor(
    message: string,
    options: { file: string; line?: number; field?: string; hint?: string; cause?: unknown; code?: string },
  ) {
    const where = [options.file, options.line === undefined ? undefined : `line ${options.line}`, options.field === undefined ? undefined : `field ${JSON.stringify(options.field)}`]
      .filter(Boolean)
      .join(', ');
    super(options.code ?? 'load.bad_input', `${where}: ${message}`, {
      hint: options.hint,
      cause: options.cause,
      details: {
        file: options.file,
        ...(options.line === undefined ? {} : { line: options.line }),
        ...(options.field === undefined ? {} : { field: options.field }),
      },
    });
  }
}
