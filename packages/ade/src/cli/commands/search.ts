import type { SearchHit } from '../../catalog/index.js';
import { readableZones, ValidationError } from '../../kernel/index.js';
import { indexAllTables, searchCatalog } from '../../quality/search-documents.js';
import type { CommandContext } from '../context.js';
import { renderTable } from '../output.js';

const KINDS = ['table', 'column', 'profile', 'check'] as const;

function parseLimit(limit: string | undefined): number | undefined {
  if (limit === undefined) return undefined;
  const n = Number(limit);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ValidationError(`--limit ${JSON.stringify(limit)} is not a positive whole number`, { code: 'validation.limit', hint: 'e.g. --limit 20' });
  }
  return n;
}

function parseKinds(kind: string | undefined): string[] | undefined {
  if (kind === undefined) return undefined;
  const kinds = kind.split(',').map((k) => k.trim()).filter((k) => k !== '');
  for (const k of kinds) {
    if (!(KINDS as readonly string[]).includes(k)) {
      throw new ValidationError(`unknown kind ${JSON.stringify(k)}`, { code: 'validation.search_kind', hint: `kinds are ${KINDS.join(', ')} (comma-separate several)` });
    }
  }
  return kinds;
}

/**
 * True when the index looks never built: nothing matched, yet a table the
 * role may read has no `table` document.
 */
async function indexLooksEmpty(ctx: CommandContext): Promise<boolean> {
  const [first] = await ctx.lake.catalog.listTables({ zones: readableZones(ctx.principal.role) });
  if (!first) return false;
  const probe = await ctx.lake.catalog.search(`${first.zone} ${first.name}`, { zones: [first.zone], kinds: ['table'], limit: 50 });
  return !probe.some((h) => h.key === `table:${first.zone}.${first.name}`);
}

/**
 * `ade search <query> [--kind k[,k]] [--limit n] [--reindex]`: ranked matches
 * over tables, columns, profiles and check results of the zones the role may
 * read. Every word must match; the last may be the start of a word.
 */
export async function searchCommand(ctx: CommandContext, query: string, opts: { limit?: string; kind?: string; reindex?: boolean }): Promise<void> {
  const limit = parseLimit(opts.limit);
  const kinds = parseKinds(opts.kind);
  const search = () => searchCatalog(ctx.lake.catalog, ctx.principal.role, query, { ...(kinds ? { kinds } : {}), ...(limit ? { limit } : {}) });
  let indexed: number | undefined;
  if (opts.reindex) indexed = await indexAllTables(ctx.lake.catalog);
  let hits: SearchHit[] = await search();
  if (hits.length === 0 && indexed === undefined && (await indexLooksEmpty(ctx))) {
    indexed = await indexAllTables(ctx.lake.catalog);
    hits = await search();
  }
  if (indexed !== undefined) ctx.out.info(`indexed ${indexed.toLocaleString('en-US')} search document(s)`);
  ctx.out.result({ query, ...(indexed !== undefined ? { indexed } : {}), hits }, () =>
    hits.length === 0
      ? `no matches for ${JSON.stringify(query)} (every word must match; try fewer words, or --reindex after loading new tables)`
      : renderTable(
          ['kind', 'table', 'title', 'snippet'],
          hits.map((h) => [h.kind, h.table, h.title, h.snippet]),
        ),
  );
}
