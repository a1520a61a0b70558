import { Command, CommanderError, Option } from 'commander';
import type { CommandContext, GlobalOptions } from './context.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { createOutput } from './output.js';

// Commands and the lake load on demand, so `ade --help` starts in a blink and
// each command pays only for what it uses (DuckDB, SQLite, the AWS SDK, faker).
async function withContext<T>(opts: GlobalOptions, fn: (ctx: CommandContext) => Promise<T>): Promise<T> {
  return (await import('./context.js')).withContext(opts, fn);
}
const outputFor = (opts: GlobalOptions) => createOutput({ json: opts.json, quiet: opts.quiet });

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Builds the `ade` command line. Each action returns its exit code. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('ade')
    .description('ade — a self-serve data environment: an open Parquet lake with a catalog, SQL, and more')
    .version('0.1.0')
    .option('-p, --project <dir>', 'project folder (default: the nearest folder with ade.yaml)')
    .option('--as <role>', 'act with this role (viewer, analyst, engineer, admin) if your project grants it')
    .option('--json', 'print structured JSON on stdout (errors as JSON on stderr)')
    .option('-q, --quiet', 'no progress or informational output')
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Exit codes: 0 ok · 1 failure · 2 usage · 3 invalid input or config · 4 permission denied
            5 not found · 6 write conflict (retry) · 7 integrity problems · 8 a data-quality error check failed
            70 internal error

Examples:
  ade demo                                  build the demo project in ./ade-demo and answer questions
  ade init my-lake && cd my-lake
  ade load orders.csv --table clean.orders --as engineer
  ade sql "SELECT count(*) FROM clean.orders"
  ade sql "SELECT * FROM clean.orders" --format csv --out orders.csv
  ade keys create --as engineer             create the keyring for tokenisation keys`,
    );
  const g = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions;

  program
    .command('init')
    .description('create a project: ade.yaml, models/, .ade/ (local state, git-ignored)')
    .argument('[dir]', 'folder to create the project in', '.')
    .option('--name <name>', 'project name (default: the folder name)')
    .action(async (dir: string, o: { name?: string }, cmd: Command) => {
      const out = outputFor(g(cmd));
      const { initProject } = await import('./commands/init.js');
      const r = await initProject(dir, o);
      out.result(r, () => `created ${r.created.join(', ')} in ${r.dir}\nnext: cd ${dir} && ade load <file> --table clean.<name> --as engineer`);
    });

  program
    .command('tables')
    .description('list the tables your role may read')
    .option('--zone <zone>', 'only this zone')
    .action(async (o: { zone?: string }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/tables.js')).tablesCommand(ctx, o)));

  program
    .command('describe')
    .description('schema, column statistics, files and recent snapshots of a table')
    .argument('<table>', 'zone.table')
    .option('--snapshot <id>', 'describe this snapshot instead of the current one')
    .action(async (t: string, o: { snapshot?: string }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/describe.js')).describeCommand(ctx, t, o)));

  program
    .command('profile')
    .description('what each column of a table holds: nulls, distinct, min/max, mean/stddev, quantiles, lengths, top values (values of personal columns hidden)')
    .argument('<table>', 'zone.table')
    .option('--snapshot <id>', 'profile this snapshot instead of the current one')
    .option('--by <period>', 'week or month: combine the stored profiles of a day-partitioned table\'s days')
    .action(async (t: string, o: { snapshot?: string; by?: string }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/profile.js')).profileCommand(ctx, t, o)));

  program
    .command('check')
    .description('run the declared data-quality checks on current snapshots (exit 8 when an error check fails)')
    .argument('[tables...]', 'zone.table (default: every table with checks)')
    .action(async (tables: string[], _o: unknown, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/quality.js')).checkCommand(ctx, tables));
      setExit(code);
    });

  const quality = program.command('quality').description('data quality: check results with history, writes blocked by error checks');
  quality
    .command('results')
    .description('the latest result of every check (--all: the history), newest first')
    .option('--table <zone.table>', 'only this table')
    .option('--check <id>', "one check's history (ids look like clean.orders/not_null(email))")
    .option('--all', 'every result, not just the latest per check')
    .option('--limit <n>', 'at most this many', '50')
    .action(async (o: { table?: string; check?: string; limit?: string; all?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => (await import('./commands/quality.js')).resultsCommand(ctx, o)),
    );
  quality
    .command('staged')
    .description('writes that error checks blocked; with an id: why, --sql to query the table as the write would have left it, --discard to drop it')
    .argument('[id]', 'a staged snapshot id (or its last characters)')
    .option('--sql <query>', 'query the staged version of the table (other tables read as current)')
    .option('--discard', 'discard the blocked write; GC deletes its files')
    .option('--all', 'list discarded ones too')
    .action(async (id: string | undefined, o: { sql?: string; discard?: boolean; all?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => (await import('./commands/quality.js')).stagedCommand(ctx, id, o)),
    );

  quality
    .command('settle')
    .description('profile committed snapshots and deliver due alert notices (commands run this in the background)')
    .option('--snapshot <zone.table=id>', 'a snapshot to profile (repeatable; already profiled ones are skipped)', collect)
    .option('--deliver', 'deliver due alert notices too')
    .action(async (o: { snapshot?: string[]; deliver?: boolean }, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/quality.js')).settleCommand(ctx, o));
      setExit(code);
    });

  program
    .command('alerts')
    .description('open alerts and recent notices; `deliver` sends due notices to the sinks in ade.yaml now')
    .argument('[action]', 'list (default) or deliver')
    .option('--all', 'closed alerts too')
    .action(async (action: string | undefined, o: { all?: boolean }, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/quality.js')).alertsCommand(ctx, action, o));
      setExit(code);
    });

  program
    .command('serve')
    .description('the HTTP API (health, OpenAPI, tables, profiles, checks, search, SQL) on 127.0.0.1 until SIGTERM/SIGINT; needs server.secret_env and a keyring')
    .option('--host <host>', 'interface to bind (default server.host, 127.0.0.1)')
    .option('--port <port>', 'port (default server.port, 7300; 0 picks a free one)')
    .addOption(new Option('--headers-timeout <duration>').hideHelp())
    .addOption(new Option('--bench-endpoints').hideHelp())
    .action(async (o: { host?: string; port?: string; headersTimeout?: string; benchEndpoints?: boolean }, cmd: Command) => {
      await (await import('./commands/serve.js')).serveCommand({ ...g(cmd), ...o }, process.env, program.version() ?? '0.0.0');
    });

  program
    .command('tokens')
    .description('API tokens for ade serve (admin): create prints a new token once; list; revoke <id>')
    .argument('<action>', 'create, list or revoke')
    .argument('[id]', 'the token to revoke')
    .option('--role <role>', 'viewer, analyst, engineer or admin (create; default viewer)')
    .option('--name <name>', 'who or what the token is for (create)')
    .option('--ingest <source>', "create a write-only ingest key for this source instead (the collector's write key)")
    .action(async (action: string, id: string | undefined, o: { role?: string; name?: string; ingest?: string }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => (await import('./commands/tokens.js')).tokensCommand(ctx, action, id, o, process.env)),
    );

  program
    .command('exp')
    .description('A/B/n experiments of ade.yaml: list; show <key> (definition and latest analysis); analyze <key> (stored; the same --as-of again replaces it)')
    .argument('<action>', 'list, show or analyze')
    .argument('[key]', 'the experiment')
    .option('--as-of <time>', 'analyse exposures and metric rows before this time (default now)')
    .option('--correction <method>', 'multiple-comparison correction across variants × metrics: holm (default), benjamini-hochberg or none')
    .action(async (action: string, key: string | undefined, o: { asOf?: string; correction?: string }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => (await import('./commands/exp.js')).expCommand(ctx, action, key, o)),
    );

  const ml = program
    .command('ml')
    .description('AutoML on lake tables and the model registry: train, predict, promote, rollback, list, show, publish')
    .addHelpText(
      'after',
      `
Models are immutable versions name@vN; aliases (champion, staging, any name) point at one version each.
A bare name means its champion (or its newest version when there is none).

Examples:
  ade ml train --table model.customer_d --target churned --time-limit 2m --name churn
  ade ml predict churn@champion --table model.customer_d --out ml.churn_scores
  ade ml promote churn@v2 --alias champion --as admin
  ade ml rollback churn --alias champion --as admin
  ade ml show churn --json`,
    );
  const mlVersion = () => program.version() ?? '0.0.0';
  ml.command('train')
    .description('train a model on a table with the built-in AutoML (or scikit-learn) within a time limit and register it as the next version (a run in the ledger)')
    .requiredOption('--table <zone.table>', 'the training table')
    .requiredOption('--target <column>', 'the column to predict')
    .addOption(new Option('--task <task>', 'classification or regression (default: inferred from the target)').choices(['classification', 'regression']))
    .option('--time-limit <duration>', 'wall-clock budget of the search, e.g. 30s, 2m', '2m')
    .option('--metric <metric>', 'accuracy, balanced_accuracy, log_loss, roc_auc, f1 (classification); r2, rmse, mae (regression)')
    .option('--exclude <columns>', 'columns never used as features (comma-separated, repeatable)', collect)
    .option('--seed <n>', 'seeds folds, search and fits: the same seed and data give the same model', '0')
    .option('--name <model>', 'the model name (default <table>_<target>)')
    .option('--folds <n>', 'cross-validation folds, 2 … 20', '5')
    .addOption(new Option('--engine <engine>', 'builtin (no Python needed) or python (scikit-learn in a Python process)').choices(['builtin', 'python']).default('builtin'))
    .option('--python <path>', 'the Python interpreter for --engine python', 'python3')
    .option('--max-rows <n>', 'train on a deterministic sample above this many rows', '1000000')
    .action(async (o: Record<string, unknown>, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/ml.js')).mlTrainCommand(ctx, o as never, mlVersion());
      }),
    );
  ml.command('predict')
    .description('score a table with a model and write the input columns with prediction (and prob_<class>) into a table, one batch in one commit')
    .argument('<model>', 'name, name@vN or name@alias')
    .requiredOption('--table <zone.table>', 'the rows to score')
    .requiredOption('--out <zone.table>', 'where the predictions go, e.g. ml.churn_scores (appended as a batch)')
    .option('--replace', 'replace the output table instead of appending the batch')
    .action(async (model: string, o: { table: string; out: string; replace?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/ml.js')).mlPredictCommand(ctx, model, o, mlVersion());
      }),
    );
  ml.command('promote')
    .description('point an alias at a version (admin); audited, and the serving table is rewritten')
    .argument('<model>', 'name@vN (or name@alias: the version that alias names)')
    .option('--alias <alias>', 'the alias to move', 'champion')
    .action(async (model: string, o: { alias?: string }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/ml.js')).mlPromoteCommand(ctx, model, o, mlVersion());
      }),
    );
  ml.command('rollback')
    .description('move an alias back to the version it named before its last promotion (admin); audited, and the serving table is rewritten')
    .argument('<name>', 'the model')
    .option('--alias <alias>', 'the alias to move back', 'champion')
    .action(async (name: string, o: { alias?: string }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/ml.js')).mlRollbackCommand(ctx, name, o, mlVersion());
      }),
    );
  ml.command('list')
    .description('registered models: versions, aliases, the newest version and its score')
    .action(async (_o: unknown, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/ml.js')).mlListCommand(ctx, mlVersion())));
  ml.command('show')
    .description("a model version's manifest, leaderboard and importance, every version, aliases and their history")
    .argument('<model>', 'name (its champion, else the newest), name@vN or name@alias')
    .action(async (model: string, _o: unknown, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/ml.js')).mlShowCommand(ctx, model, mlVersion())));
  ml.command('publish')
    .description('rewrite the serving table ml.model_serving from the registry (every register, promote and rollback does this itself)')
    .action(async (_o: unknown, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/ml.js')).mlPublishCommand(ctx, mlVersion())));

  program
    .command('audit')
    .description('the hash-chained audit log (admin): list its newest events, or verify that none was changed, removed or added (exit 7)')
    .argument('<action>', 'list or verify')
    .option('--limit <n>', 'events to list', '50')
    .action(async (action: string, o: { limit?: string }, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/audit.js')).auditCommand(ctx, action, o));
      setExit(code);
    });

  program
    .command('search')
    .description('full-text search over tables, columns, descriptions, tags, profiles and check results')
    .argument('<query>', 'words, e.g. "customer null"')
    .option('--kind <kind>', 'only table, column, profile or check hits')
    .option('--limit <n>', 'at most this many hits', '20')
    .option('--reindex', 'rebuild the search index from the catalog first')
    .action(async (q: string, o: { kind?: string; limit?: string; reindex?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => (await import('./commands/search.js')).searchCommand(ctx, q, o)),
    );

  program
    .command('sql')
    .description('run a SELECT over the tables your role may read')
    .argument('[query]', 'the SQL query (or use --file)')
    .option('-f, --file <file>', 'read the query from a file')
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json', 'ndjson', 'arrow']))
    .option('-o, --out <file>', 'write the result to a file (written whole or not at all)')
    .option('--as-of <time>', 'read every table as it was at this time (ISO 8601)')
    .option('--snapshot <table=id>', 'read a table at a snapshot id (repeatable)', collect)
    .option('--max-rows <n>', 'rows shown in table format', '200')
    .action(async (q: string | undefined, o: Record<string, unknown>, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/sql.js')).sqlCommand(ctx, q, o)));

  program
    .command('load')
    .description('load a CSV, TSV, NDJSON, JSON or Parquet file (optionally .gz/.zst) into a table in one commit')
    .argument('<file>', 'the input file')
    .requiredOption('-t, --table <table>', 'target table, zone.table')
    .addOption(new Option('--mode <mode>', 'append rows or replace the table').choices(['append', 'replace']).default('append'))
    .addOption(new Option('--format <format>', 'input format (default: from the extension)').choices(['csv', 'tsv', 'ndjson', 'json', 'parquet']))
    .option('--columns <spec>', 'declare column types, e.g. id:BIGINT,price:DECIMAL(10,2) (others are inferred)')
    .action(async (file: string, o: { table: string; mode?: string; format?: string; columns?: string }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/load.js')).loadCommand(ctx, file, o);
      }),
    );

  program
    .command('history')
    .description("a table's snapshots, newest first")
    .argument('<table>', 'zone.table')
    .option('--limit <n>', 'how many', '50')
    .action(async (t: string, o: { limit?: string }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/history.js')).historyCommand(ctx, t, o)));

  program
    .command('runs')
    .description('the run ledger (loads and other work), newest first')
    .option('--limit <n>', 'how many', '20')
    .option('--kind <kind>', 'only runs of this kind, e.g. load')
    .action(async (o: { limit?: string; kind?: string }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/runs.js')).runsCommand(ctx, o)));

  program
    .command('gc')
    .description('expire snapshots past the retention and delete files nothing retained references (engineer)')
    .option('--retention <duration>', 'keep snapshots newer than this (default from ade.yaml, 7d)')
    .option('--grace <duration>', 'keep unreferenced files newer than this (default from ade.yaml, 24h)')
    .option('--dry-run', 'report without deleting')
    .action(async (o: { retention?: string; grace?: string; dryRun?: boolean }, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/gc.js')).gcCommand(ctx, o)));

  program
    .command('ingest')
    .description('ingest new files of a source through the privacy path: raw copy, quarantine, obfuscated clean table (engineer)')
    .argument('<source>', 'a source declared in ade.yaml')
    .argument('[paths...]', 'files, folders or globs (default: the source location)')
    .option('--watch', 'keep polling the location and ingest files as they appear')
    .option('--interval <seconds>', 'polling interval for --watch', '2')
    .option('--rebuild', 'rebuild clean.<source> and quarantine.<source> from the raw files with the active key and current policy')
    .action(async (source: string, paths: string[], o: { watch?: boolean; interval?: string; rebuild?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/ingest.js')).ingestCommand(ctx, source, paths, o, process.env);
      }),
    );

  program
    .command('archive')
    .description('move raw files past raw_retention to the archive zone, delete archived files past archive_retention (engineer)')
    .argument('[source]', 'a source declared in ade.yaml (default: every source)')
    .option('--dry-run', 'report what would move and be deleted without changing anything')
    .action(async (source: string | undefined, o: { dryRun?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/archive.js')).archiveCommand(ctx, source, o);
      }),
    );

  program
    .command('forget')
    .description("erase a data subject (right to be forgotten) from a source's clean, quarantine, raw and archived data (engineer)")
    .requiredOption('--field <path>', 'the field identifying the subject, e.g. email or properties.email')
    .requiredOption('--value <value>', "the subject's value (`-` reads it from stdin, keeping it out of shell history)")
    .option('--source <source>', 'only this source (default: every source)')
    .option('--kind <kind>', 'how the value is normalised before tokenising: email, phone, card, iban, ssn, ipv4, ipv6, mac, text (default: from the source policy or the field name)')
    .option('--dry-run', 'report what would be removed without changing anything')
    .action(async (o: { field: string; value: string; source?: string; kind?: string; dryRun?: boolean }, cmd: Command) =>
      withContext(g(cmd), async (ctx) => {
        await (await import('./commands/forget.js')).forgetCommand(ctx, o, process.env);
      }),
    );

  type ModelOptions = { select?: string; fullRefresh?: boolean; from?: string; to?: string; parallel?: string };
  program
    .command('plan')
    .description('what `ade run` would build and why (never built, model changed, input changed), building nothing')
    .option('--select <pattern>', 'only these models, e.g. model.*_d; end with + to add everything downstream')
    .option('--full-refresh', 'plan to rebuild every selected model')
    .option('--from <day>', 'day models: only days from this one (YYYY-MM-DD)')
    .option('--to <day>', 'day models: only days up to this one (YYYY-MM-DD, inclusive)')
    .action(async (o: ModelOptions, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/models.js')).planCommand(ctx, o)));

  program
    .command('run')
    .description('build the stale models in models/ in dependency order: new input batches, changed code, missing or late days; exit 1 if a model failed')
    .option('--select <pattern>', 'only these models, e.g. report.*; end with + to add everything downstream')
    .option('--full-refresh', 'rebuild every selected model')
    .option('--from <day>', 'day models: only (re)build days from this one (YYYY-MM-DD)')
    .option('--to <day>', 'day models: only (re)build days up to this one (YYYY-MM-DD, inclusive)')
    .option('--parallel <n>', 'independent models built at once (default 2)')
    .action(async (o: ModelOptions, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/models.js')).runCommand(ctx, o));
      setExit(code);
    });

  program
    .command('lineage')
    .description('what a table is built from and what is built from it, per the SQL models in models/<zone>/<name>.sql')
    .argument('<zone.table>', 'a table or model, e.g. model.customer_d')
    .action(async (t: string, _o: unknown, cmd: Command) => withContext(g(cmd), async (ctx) => (await import('./commands/lineage.js')).lineageCommand(ctx, t)));

  const keys = program
    .command('keys')
    .description('the keyring of tokenisation keys, kept outside the lake and the catalog (engineer)');
  const keysAction = (action: 'create' | 'rotate' | 'list') => async (_o: unknown, cmd: Command) => {
    const { keysCommand } = await import('./commands/keys.js');
    if (action === 'list') return keysCommand((await import('./context.js')).openProjectContext(g(cmd)), action, process.env);
    // Creating and rotating keys are recorded in the catalog's audit log.
    return withContext(g(cmd), (ctx) => keysCommand(ctx, action, process.env, (e) => ctx.lake.catalog.audit(e)));
  };
  keys.command('create').description('create the keyring with one random key (never overwrites)').action(keysAction('create'));
  keys.command('rotate').description('add a new random key and make it active; older keys stay to rebuild old tokens').action(keysAction('rotate'));
  keys.command('list').description('key ids, creation times and the active key (never the keys themselves)').action(keysAction('list'));

  program
    .command('verify')
    .description('check catalog integrity and that every referenced file exists (exit 7 on problems)')
    .option('--read', 'also read every current file and compare row counts')
    .action(async (o: { read?: boolean }, cmd: Command) => {
      const code = await withContext(g(cmd), async (ctx) => (await import('./commands/verify.js')).verifyCommand(ctx, o));
      setExit(code);
    });

  program
    .command('demo')
    .description('the main job: create a demo project, generate a seeded startup dataset, load it, deliver live events and a change stream through ade serve, build the models, answer business questions, then keep the server running')
    .argument('[dir]', 'folder for the demo project', 'ade-demo')
    .addOption(new Option('--scale <scale>', 'dataset size').choices(['small', 'medium', 'large']).default('medium'))
    .option('--seed <n>', 'random seed (same seed, same data)', '42')
    .option('--port <port>', 'port the demo server keeps listening on (default: server.port of ade.yaml, 7300)')
    .option('--no-serve', 'stop the server when the demo is done instead of keeping it running (for scripts and tests)')
    .action(async (dir: string, o: { scale?: string; seed?: string; port?: string; serve?: boolean }, cmd: Command) => {
      await (await import('./commands/demo.js')).demoCommand(dir, { ...g(cmd), ...o }, process.env, program.version() ?? '0.0.0');
    });

  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.ok;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const opts = program.opts() as GlobalOptions;
    outputFor(opts).error(e);
    return exitCodeFor(e);
  }
}
