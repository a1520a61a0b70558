import { PermissionError, roleAtLeast } from '../../kernel/index.js';
import { PrivacyError } from '../../privacy/index.js';
import type { ProjectContext } from '../context.js';
import { createKeyring, describeKeyring, keyringLocation, rotateKeyring, type KeyringDescription } from '../keyring-file.js';
import { renderTable } from '../output.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Records an admin act in the catalog's audit log. */
type Audit = (event: { actor: string; action: string; target: string; details: Record<string, unknown> }) => Promise<unknown>;

/**
 * `ade keys create | rotate | list`: manage the keyring file. Prints ids and
 * times, never key material. Creating and rotating are audited.
 */
export async function keysCommand(ctx: ProjectContext, action: 'create' | 'rotate' | 'list', env: Env, audit?: Audit): Promise<void> {
  if (!roleAtLeast(ctx.principal.role, 'engineer')) {
    throw new PermissionError('ade keys manages tokenisation keys and needs the engineer role', { hint: `run \`ade keys ${action} --as engineer\`` });
  }
  const location = keyringLocation(ctx.project, env);
  if (action === 'list') {
    const d = describeKeyring(location);
    ctx.out.result(d, () => `keyring ${d.location}\n${table(d)}`);
    return;
  }
  if (location.kind === 'inline') {
    throw new PrivacyError('privacy.keyring_inline', `the keyring comes from the ADE_KEYRING environment variable, which ade cannot ${action}`, {
      hint: `unset ADE_KEYRING to use a keyring file, or ${action} the keyring file ADE_KEYRING is made from and update the variable`,
    });
  }
  if (action === 'create') {
    const d = createKeyring(location.path, { source: location.source });
    await audit?.({ actor: ctx.principal.name, action: 'keys.create', target: d.location, details: { active: d.active } });
    ctx.out.result({ ...d, created: d.active }, () =>
      [
        `created keyring ${d.location} with key ${d.active} (active)`,
        'back it up somewhere safe: without its keys, tokens cannot be rebuilt from raw data',
      ].join('\n'),
    );
    return;
  }
  const d = rotateKeyring(location.path, { source: location.source });
  await audit?.({ actor: ctx.principal.name, action: 'keys.rotate', target: d.location, details: { active: d.added } });
  ctx.out.result(d, () => `added key ${d.added}, now active; older keys are kept to rebuild old tokens\n${table(d)}`);
}

function table(d: KeyringDescription): string {
  return renderTable(['id', 'created', 'active'], d.keys.map((k) => [k.id, k.created, k.active ? 'yes' : '']));
}
