import { isValidName } from '../kernel/index.js';
import { MlError } from './ml-error.js';

/** What a model reference names: the default version, one version, or an alias. */
export type ModelRef =
  | { readonly name: string; readonly kind: 'default' }
  | { readonly name: string; readonly kind: 'version'; readonly version: number }
  | { readonly name: string; readonly kind: 'alias'; readonly alias: string };

/** The alias a bare model name resolves to when it is set (else the newest version). */
export const DEFAULT_ALIAS = 'champion';

/**
 * Parses `name`, `name@vN` or `name@alias`.
 *
 * @example
 * parseModelRef('churn@v3');       // { name: 'churn', kind: 'version', version: 3 }
 * parseModelRef('churn@champion'); // { name: 'churn', kind: 'alias', alias: 'champion' }
 */
export function parseModelRef(text: string): ModelRef {
  const bad = (why: string) =>
    new MlError('ml.bad_option', `invalid model reference ${JSON.stringify(text)}: ${why}`, {
      hint: 'write a model as name, name@v3 (a version) or name@champion (an alias); names use a-z, 0-9 and _',
      details: { model: text },
    });
  if (typeof text !== 'string') throw bad('not a string');
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  if (!isValidName(name)) throw bad('the name must start with a lower-case letter and use a-z, 0-9 and _');
  if (at < 0) return { name, kind: 'default' };
  const rest = text.slice(at + 1);
  const v = /^v(\d{1,9})$/.exec(rest);
  if (v) {
    const version = Number(v[1]);
    if (version < 1) throw bad('versions start at v1');
    return { name, kind: 'version', version };
  }
  if (!isValidName(rest)) throw bad('after @ comes v<number> or an alias (a-z, 0-9, _)');
  return { name, kind: 'alias', alias: rest };
}

/** `name`, `name@v3`, `name@champion`. */
export function formatModelRef(ref: ModelRef): string {
  return ref.kind === 'default' ? ref.name : ref.kind === 'version' ? `${ref.name}@v${ref.version}` : `${ref.name}@${ref.alias}`;
}
