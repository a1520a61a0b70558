/** The API's OpenAPI 3.1 description (served at /openapi.json). */
export function openApiDocument(version: string): Record<string, unknown> {
  const error = { $ref: '#/components/schemas/Error' };
  const errors = {
    '400': { description: 'invalid request', content: { 'application/json': { schema: error } } },
    '401': { description: 'no valid token', content: { 'application/json': { schema: error } } },
    '403': { description: "the token's role may not do this", content: { 'application/json': { schema: error } } },
    '404': { description: 'not found', content: { 'application/json': { schema: error } } },
  };
  const table = { name: 'table', in: 'path', required: true, schema: { type: 'string' }, description: 'zone.table' };
  const model = { name: 'model', in: 'path', required: true, schema: { type: 'string' }, description: 'name, name@vN or name@alias' };
  const name = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,62}$' } };
  const chart = {
    type: 'object',
    required: ['type'],
    properties: { type: { type: 'string', enum: ['bar', 'line', 'area', 'scatter', 'histogram'] }, x: { type: 'string' }, y: { oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] }, series: { type: 'string' } },
  };
  const savedQuery = { type: 'object', required: ['sql'], properties: { sql: { type: 'string' }, title: { type: 'string' }, description: { type: 'string' }, chart } };
  const dashboard = {
    type: 'object',
    required: ['title', 'tiles'],
    properties: {
      title: { type: 'string' },
      description: { type: 'string' },
      dateRange: { type: 'object', properties: { column: { type: 'string' }, default: { type: 'string' } }, description: 'the UI runs each tile with the named params $from and $to' },
      tiles: { type: 'array', items: { type: 'object', required: ['query'], properties: { query: { type: 'string' }, chart, title: { type: 'string' }, w: { type: 'integer', minimum: 1, maximum: 12 }, h: { type: 'integer', minimum: 1, maximum: 12 } } } },
    },
  };
  const json = (description: string) => ({ '200': { description, content: { 'application/json': { schema: { type: 'object' } } } }, ...errors });
  return {
    openapi: '3.1.0',
    info: { title: 'ade', version, description: 'The ade HTTP API. Every route but /health and /ready needs `Authorization: Bearer <token>` (`ade tokens create`); what a token may read follows its role.' },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' }, writeKey: { type: 'http', scheme: 'basic', description: "a source's write key as the user name, no password" } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } } } },
        },
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/health': { get: { summary: 'liveness', security: [], responses: { '200': { description: 'the server runs' } } } },
      '/ready': { get: { summary: 'readiness: the catalog answers', security: [], responses: { '200': { description: 'ready' }, '503': { description: 'not ready' } } } },
      '/openapi.json': { get: { summary: 'this document', responses: json('OpenAPI 3.1') } },
      '/v1/whoami': {
        get: {
          summary: "who the token is: its name, role and kind ('api')",
          responses: {
            '200': { description: 'the token', content: { 'application/json': { schema: { type: 'object', required: ['name', 'role', 'kind'], properties: { name: { type: 'string' }, role: { type: 'string', enum: ['viewer', 'analyst', 'engineer', 'admin'] }, kind: { type: 'string' } } } } } },
            ...errors,
          },
        },
      },
      '/v1/queries': { get: { summary: 'saved queries (queries/<name>.sql in the project): {queries: [{name, title, description?, chart?}]}', responses: json('{queries}') } },
      '/v1/queries/{name}': {
        get: { summary: 'a saved query: {name, sql, title?, description?, chart?}', parameters: [name], responses: json('the query') },
        put: {
          summary: 'save a query (analyst and up): written atomically to queries/<name>.sql',
          parameters: [name],
          requestBody: { required: true, content: { 'application/json': { schema: savedQuery } } },
          responses: json('the saved query'),
        },
        delete: { summary: 'delete a saved query (analyst and up)', parameters: [name], responses: json('{deleted}') },
      },
      '/v1/dashboards': { get: { summary: 'dashboards (dashboards/<name>.yaml in the project): {dashboards: [{name, title, description?, tiles}]}', responses: json('{dashboards}') } },
      '/v1/dashboards/{name}': {
        get: { summary: 'a dashboard: {name, title, description?, dateRange?, tiles}', parameters: [name], responses: json('the dashboard') },
        put: {
          summary: 'save a dashboard (analyst and up): written atomically to dashboards/<name>.yaml',
          parameters: [name],
          requestBody: { required: true, content: { 'application/json': { schema: dashboard } } },
          responses: json('the saved dashboard'),
        },
        delete: { summary: 'delete a dashboard (analyst and up)', parameters: [name], responses: json('{deleted}') },
      },
      '/v1/tables': { get: { summary: 'tables the role may read', responses: json('tables') } },
      '/v1/tables/{table}': { get: { summary: 'a table: columns (with privacy class), rows, recent snapshots', parameters: [table], responses: json('the table') } },
      '/v1/tables/{table}/profile': { get: { summary: "the current snapshot's profile", parameters: [table], responses: json('the profile') } },
      '/v1/checks': {
        get: { summary: 'the latest result of every check on tables the role may read', parameters: [{ name: 'table', in: 'query', schema: { type: 'string' } }], responses: json('check results') },
      },
      '/v1/checks/history': {
        get: {
          summary: 'check results over time (newest first) on tables the role may read',
          parameters: [
            { name: 'table', in: 'query', schema: { type: 'string' } },
            { name: 'check', in: 'query', schema: { type: 'string' }, description: 'a check id, <zone.table>/<name>' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: json('check results'),
        },
      },
      '/v1/tables/{table}/profile/history': {
        get: { summary: "each stored snapshot profile's rows and per-column null ratio, oldest first", parameters: [table, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } }], responses: json('profile points') },
      },
      '/v1/quality/staged': {
        get: { summary: 'writes blocked by error checks (all states with all=true) on tables the role may read', parameters: [{ name: 'all', in: 'query', schema: { type: 'boolean' } }], responses: json('staged snapshots') },
      },
      '/v1/alerts': {
        get: { summary: 'alerts of failing checks on tables the role may read', parameters: [{ name: 'state', in: 'query', schema: { enum: ['open', 'closed'] } }], responses: json('alerts') },
      },
      '/v1/search': {
        get: {
          summary: 'full-text search over tables, columns, profiles and check results',
          parameters: [
            { name: 'q', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'kind', in: 'query', schema: { type: 'string' }, description: 'table,column,profile,check' },
            { name: 'limit', in: 'query', schema: { type: 'integer' } },
          ],
          responses: json('ranked hits'),
        },
      },
      '/v1/lineage/{table}': { get: { summary: "a table's model (file, kind, inputs), upstream and downstream tables, and the direct reads among them as edges [from, to]", parameters: [table], responses: json('lineage') } },
      '/v1/runs': {
        get: {
          summary: 'runs in the ledger (model builds, ingests), newest first',
          parameters: [
            { name: 'kind', in: 'query', schema: { type: 'string' } },
            { name: 'limit', in: 'query', schema: { type: 'integer', maximum: 1000 } },
          ],
          responses: json('runs'),
        },
        post: {
          summary: 'build models in the background (engineer)',
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { select: { type: 'array', items: { type: 'string' } }, fullRefresh: { type: 'boolean' } } } } } },
          responses: { '202': { description: 'accepted; GET /v1/runs shows the builds' }, ...errors },
        },
      },
      '/v1/schedules': {
        get: {
          summary: "the server's cron schedules (next run, last run and outcome, skipped ticks) and commit triggers (state, pending tables, last build) — analyst and up",
          responses: json('{schedules, triggers}'),
        },
      },
      '/v1/runs/{id}': { get: { summary: 'one run: state, timings, rows, error and hint', parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: json('the run') } },
      ...collectorPaths(errors),
      '/v1/models': { get: { summary: 'registered models: versions, aliases, the newest version and its cross-validated score', responses: json('models') } },
      '/v1/models/{model}': {
        get: { summary: 'a model: the manifest of the version it names (name = its champion, else the newest; name@vN; name@alias), every version, aliases and their history', parameters: [model], responses: json('the model') },
      },
      '/v1/models/{model}/artifact': {
        get: { summary: "the artifact JSON (ade.model/v1) of the version it names, exactly the registered bytes (ETag: their sha256), for the SDK's fetchScorer", parameters: [model], responses: json('the artifact') },
      },
      '/v1/models/{model}/predict': {
        post: {
          summary: "predictions for rows, scored with the SDK's Scorer (the same numbers an app scoring locally gets)",
          parameters: [model],
          requestBody: { content: { 'application/json': { schema: { type: 'object', required: ['rows'], properties: { rows: { type: 'array', items: { type: 'object' } } } } } } },
          responses: json('{ model: name@vN, version, predictions: [{ label, probabilities } | { value }] }'),
        },
      },
      '/v1/models/{model}/promote': {
        post: {
          summary: 'point an alias (default champion) at a version (admin); audited, the serving table is rewritten',
          parameters: [model],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { version: { type: 'integer' }, alias: { type: 'string' } } } } } },
          responses: json('{ name, alias, changed, version, previousVersion }'),
        },
      },
      '/v1/models/{model}/rollback': {
        post: {
          summary: 'move an alias (default champion) back to the version it named before its last promotion (admin); audited',
          parameters: [model],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { alias: { type: 'string' } } } } } },
          responses: { ...json('{ name, alias, version, previousVersion }'), '409': { description: 'the alias has no earlier version', content: { 'application/json': { schema: error } } } },
        },
      },
      '/v1/experiments': { get: { summary: "the experiments of ade.yaml: status, variants, metrics, last analysis", responses: json('experiments') } },
      '/v1/experiments/{key}': {
        get: { summary: 'an experiment: definition, stored analyses and the latest one', parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }], responses: json('the experiment') },
      },
      '/v1/experiments/{key}/timeline': {
        get: { summary: 'the cumulative effect over time: stored analyses by as-of time, per metric and treatment the effect, interval and adjusted p-value', parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }], responses: json('the timeline') },
        post: {
          summary: 'analyse the experiment as of each day boundary since its start (the last `days`, at most 60; analyst and up), store them and return the timeline',
          parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 60 } } } } } },
          responses: json('the timeline'),
        },
      },
      '/v1/experiments/{key}/analyze': {
        post: {
          summary: 'analyse an experiment now (analyst and up); stored, the same asOf again replaces it',
          parameters: [{ name: 'key', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { asOf: { type: 'string', format: 'date-time' }, correction: { enum: ['holm', 'benjamini-hochberg', 'none'] } } } } } },
          responses: json('the analysis'),
        },
      },
      '/v1/audit': {
        get: { summary: 'the newest audit events, newest first (admin)', parameters: [{ name: 'limit', in: 'query', schema: { type: 'integer', maximum: 10000 } }], responses: json('audit events') },
      },
      '/v1/query': {
        post: {
          summary: 'run one SELECT as the token\'s role; the result is streamed',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['sql'],
                  properties: {
                    sql: { type: 'string' },
                    params: {
                      description: 'values for ? / $1 placeholders (a list) or $name placeholders (an object), bound by DuckDB, never pasted into the SQL',
                      oneOf: [
                        { type: 'array', items: { type: ['string', 'number', 'boolean', 'null'] } },
                        { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean', 'null'] } },
                      ],
                    },
                    format: { enum: ['json', 'ndjson', 'csv', 'arrow'] },
                    limit: { type: 'integer', minimum: 1 },
                  },
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'rows',
              content: { 'application/json': {}, 'application/x-ndjson': {}, 'text/csv': {}, 'application/vnd.apache.arrow.stream': {} },
            },
            ...errors,
            '503': { description: 'every query worker is busy and the queue is full (query.busy, with Retry-After), or the query ran out of memory', content: { 'application/json': { schema: error } } },
            '504': { description: 'the query ran past the query workers\' time limit (query.timeout)', content: { 'application/json': { schema: error } } },
          },
        },
      },
    },
  };
}

/** The collector's routes: Segment's tracking API and arbitrary events, with a source's write key (basic auth user name, as Segment sends it). */
function collectorPaths(errors: Record<string, unknown>): Record<string, unknown> {
  const accepted = {
    '200': { description: 'the events are durably buffered', content: { 'application/json': { schema: { type: 'object', properties: { success: { type: 'boolean' }, events: { type: 'integer' } } } } } },
    '413': { description: 'the request is over 500 KiB' },
    '429': { description: "the buffer's disk budget is full; retry after Retry-After seconds" },
    ...errors,
  };
  const body = { required: true, content: { 'application/json': { schema: { type: 'object' } } } };
  const security = [{ writeKey: [] }, { bearer: [] }];
  const paths: Record<string, unknown> = {};
  for (const type of ['track', 'identify', 'page', 'screen', 'group', 'alias', 'batch']) {
    paths[`/v1/${type}`] = { post: { summary: `Segment ${type}${type === 'batch' ? ' (up to 500 KiB of calls)' : ''}`, security, requestBody: body, responses: accepted } };
  }
  paths['/v1/events/{stream}'] = {
    post: {
      summary: 'arbitrary events: a JSON array or NDJSON, into clean.<stream>',
      security,
      parameters: [{ name: 'stream', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'array' } }, 'application/x-ndjson': {} } },
      responses: accepted,
    },
  };
  paths['/v1/cdc/{stream}'] = {
    post: {
      summary: 'change events (Debezium envelopes, DynamoDB Streams records, Salesforce change events) for a cdc: source, as change rows into clean.<stream>',
      security,
      parameters: [{ name: 'stream', in: 'path', required: true, schema: { type: 'string' } }],
      requestBody: { required: true, content: { 'application/json': { schema: { oneOf: [{ type: 'array' }, { type: 'object' }] } }, 'application/x-ndjson': {} } },
      responses: {
        ...accepted,
        '200': {
          description: 'the changes are durably buffered; events that ask for a re-sync (gap, overflow, truncate) are listed and audited',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                properties: {
                  success: { type: 'boolean' },
                  changes: { type: 'integer' },
                  tombstones: { type: 'integer' },
                  resync: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, kind: { type: 'string' }, source: { type: ['string', 'null'] }, ids: { type: 'array', items: { type: 'string' } }, message: { type: 'string' } } } },
                },
              },
            },
          },
        },
      },
    },
  };
  return paths;
}
