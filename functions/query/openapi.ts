/**
 * The OpenAPI 3.1 description of the stats API, served at /api/v1/openapi.json. Schemas are JSON Schema
 * 2020-12 (OpenAPI 3.1 §4.8.24); openapi.test.ts checks that every documented route exists, every API
 * route is documented, and real responses validate against these schemas.
 */
import { INTERVALS, METRICS } from './params';
import { PERIODS, MAX_RANGE_DAYS } from './period';
import { FILTER_NAMES, MAX_FILTER_CONDITIONS, MAX_FILTER_VALUE_LENGTH } from './filters';
import { BREAKDOWN_DIMENSIONS } from './filtered/params';
import { EXPORT_FILES } from './filtered/export';

/** What a `filters` parameter means (ARCHITECTURE.md "Filters"), shown on every endpoint that takes it. */
const FILTERS_DESCRIPTION =
  'Plausible v1 filters, URL-encoded: conditions joined by `;` (AND), each `<dimension><op><values>` with op `==` (is), `!=` (is not) or `~` (contains, case-sensitive); ' +
  'values joined by `|` (OR); a literal `|`, `;` or `\\` is written `\\|`, `\\;`, `\\\\`; `(none)` is the empty value. ' +
  `Dimensions: ${FILTER_NAMES.join(', ')}, props:<key>. At most ${MAX_FILTER_CONDITIONS} conditions, values up to ${MAX_FILTER_VALUE_LENGTH} characters; anything else is a 400 naming the condition. ` +
  'Semantics: a visit dimension keeps the visits whose value matches; page, event, goal and props keep the visits that contain a matching event (`!=`: visits with no such event). ' +
  "Every metric then follows from the kept visits, each counted on its visit's day (site-local day of its first event): visits, their pageviews and custom events, bounces (one pageview), duration (last − first event), " +
  'visitors = distinct visitorIds of the kept visits (visitorIds are per site-day, so over whole days this is the sum of daily visitors). ' +
  'A breakdown by page / event / props:<key> / goal counts the events of the kept visits; a condition on that same dimension also chooses its rows. Filtered answers read the visit and event facts; bot_events is 0 (bots belong to no visit).';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const localDateTime = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}$', description: 'site-local, no offset' };
const count = { type: 'integer', minimum: 0 };
const nullableCount = { type: ['integer', 'null'], minimum: 0 };
const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: ref('Error') } } });
const ok = (schema: string, description: string) => ({
  description,
  headers: { ETag: { schema: { type: 'string' } }, 'Cache-Control': { schema: { type: 'string' } } },
  content: { 'application/json': { schema: ref(schema) } },
});
const param = (name: string) => ({ $ref: `#/components/parameters/${name}` });

const statsErrors = {
  '304': { description: 'Not modified (If-None-Match matched the ETag)' },
  '400': errorResponse('A parameter is missing, repeated, unknown or invalid; the message names it'),
  '401': errorResponse('The site is private (or not registered) and no valid Authorization: Bearer header was sent'),
  '403': errorResponse('The token does not open this site (or the site is not registered)'),
  '405': errorResponse('Only GET, HEAD and OPTIONS'),
  '503': errorResponse(
    'Transient: the database is not answering (`unavailable`) or a statement ran past the time limit (`timeout`); retry shortly',
  ),
};

const periodParams = [param('site'), param('period'), param('from'), param('to')];

export const openApiDocument = {
  openapi: '3.1.0',
  info: {
    title: 'WebTrafficMonitor stats API',
    version: '1.0.0',
    description:
      'Read-only web-traffic statistics. Public sites answer everyone; private sites need `Authorization: Bearer <token>`. ' +
      'A site that is not registered answers exactly like a private one (401/403), so responses never reveal whether a private site exists. ' +
      'Dates and bucket times are site-local wall-clock times in the site time zone; `range.to` is exclusive.',
  },
  servers: [{ url: '/' }],
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
    parameters: {
      site: { name: 'site', in: 'query', required: true, schema: { type: 'string', maxLength: 253 }, description: 'registered hostname' },
      period: {
        name: 'period',
        in: 'query',
        schema: { type: 'string', enum: [...PERIODS], default: '7d' },
        description: 'not with from/to',
      },
      from: {
        name: 'from',
        in: 'query',
        schema: { type: 'string', format: 'date' },
        description: `first day (inclusive, site-local); with to, at most ${MAX_RANGE_DAYS} days`,
      },
      to: { name: 'to', in: 'query', schema: { type: 'string', format: 'date' }, description: 'last day (inclusive, site-local)' },
      metrics: {
        name: 'metrics',
        in: 'query',
        schema: { type: 'string', default: 'visitors,pageviews' },
        description: `comma-separated, distinct: ${METRICS.join(', ')}`,
      },
      interval: {
        name: 'interval',
        in: 'query',
        schema: { type: 'string', enum: [...INTERVALS] },
        description: 'default hour for today/24h, day otherwise; minute needs ≤ 2 h, hour ≤ 31 days',
      },
      dimension: {
        name: 'dimension',
        in: 'query',
        required: true,
        schema: { type: 'string', anyOf: [{ enum: [...BREAKDOWN_DIMENSIONS] }, { pattern: '^props:.{1,300}$' }] },
        description:
          'utm_content, utm_term, goal and props:<key> are answered from the facts. goal: per goal, visitors = unique conversions, events = total conversions, conversion_rate against the visitors of the same filters without goal conditions.',
      },
      limit: { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 10 } },
      page: { name: 'page', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100000, default: 1 } },
      filters: { name: 'filters', in: 'query', schema: { type: 'string', maxLength: 4096 }, description: FILTERS_DESCRIPTION },
    },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        additionalProperties: false,
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message'],
            additionalProperties: false,
            properties: {
              code: {
                type: 'string',
                enum: [
                  'invalid_parameter',
                  'unauthorized',
                  'forbidden',
                  'not_found',
                  'method_not_allowed',
                  'uri_too_long',
                  'unavailable',
                  'timeout',
                  'internal',
                ],
              },
              message: { type: 'string' },
            },
          },
        },
      },
      Range: {
        type: 'object',
        required: ['from', 'to'],
        additionalProperties: false,
        properties: { from: localDateTime, to: localDateTime },
      },
      Metrics: {
        type: 'object',
        required: [...METRICS],
        additionalProperties: false,
        properties: {
          visitors: count,
          pageviews: count,
          visits: count,
          bounce_rate: { type: 'number', minimum: 0, maximum: 100 },
          visit_duration: { type: 'integer', minimum: 0, description: 'mean seconds' },
          views_per_visit: { type: 'number', minimum: 0 },
          events: count,
          bot_events: count,
          conversions: {
            ...count,
            description: 'only with a goal filter: the conversions (matching events and pageviews) of the kept visits',
          },
          conversion_rate: {
            type: 'number',
            minimum: 0,
            maximum: 100,
            description:
              'only with a goal filter: converting visitors ÷ visitors of the same period and the other filters × 100, one decimal',
          },
        },
      },
      Goals: {
        type: 'object',
        required: ['site', 'goals'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          goals: {
            type: 'array',
            items: {
              oneOf: [
                {
                  type: 'object',
                  required: ['id', 'name', 'kind', 'event'],
                  additionalProperties: false,
                  properties: { id: count, name: { type: 'string' }, kind: { const: 'event' }, event: { type: 'string' } },
                },
                {
                  type: 'object',
                  required: ['id', 'name', 'kind', 'page'],
                  additionalProperties: false,
                  properties: {
                    id: count,
                    name: { type: 'string' },
                    kind: { const: 'page' },
                    page: { type: 'string', description: 'path pattern; * = any characters' },
                  },
                },
              ],
            },
          },
        },
      },
      Props: {
        type: 'object',
        required: ['site', 'range', 'keys'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          range: ref('Range'),
          keys: {
            type: 'array',
            maxItems: 100,
            items: {
              type: 'object',
              required: ['key', 'events'],
              additionalProperties: false,
              properties: { key: { type: 'string' }, events: count },
            },
          },
        },
      },
      Sites: {
        type: 'object',
        required: ['sites'],
        additionalProperties: false,
        properties: {
          sites: {
            type: 'array',
            items: {
              type: 'object',
              required: ['site', 'timezone', 'public'],
              additionalProperties: false,
              properties: { site: { type: 'string' }, timezone: { type: 'string' }, public: { type: 'boolean' } },
            },
          },
        },
      },
      Summary: {
        type: 'object',
        required: ['site', 'timezone', 'range', 'metrics', 'previous'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          timezone: { type: 'string' },
          range: ref('Range'),
          metrics: ref('Metrics'),
          previous: {
            type: 'object',
            required: ['range', 'metrics'],
            additionalProperties: false,
            properties: { range: ref('Range'), metrics: ref('Metrics') },
          },
        },
      },
      Timeseries: {
        type: 'object',
        required: ['site', 'timezone', 'interval', 'range', 'metrics', 'buckets'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          timezone: { type: 'string' },
          interval: { type: 'string', enum: [...INTERVALS] },
          range: ref('Range'),
          metrics: { type: 'array', items: { type: 'string', enum: [...METRICS] } },
          buckets: {
            type: 'array',
            description: 'every bucket of the range, oldest first, zeros where nothing happened; only the requested metrics',
            items: {
              type: 'object',
              required: ['t'],
              additionalProperties: false,
              properties: {
                t: localDateTime,
                visitors: count,
                pageviews: count,
                visits: count,
                bounce_rate: { type: 'number', minimum: 0, maximum: 100 },
                visit_duration: { type: 'integer', minimum: 0 },
                views_per_visit: { type: 'number', minimum: 0 },
                events: count,
                bot_events: count,
              },
            },
          },
        },
      },
      Breakdown: {
        type: 'object',
        required: ['site', 'dimension', 'range', 'page', 'limit', 'has_more', 'results'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          dimension: { type: 'string' },
          range: ref('Range'),
          page: { type: 'integer', minimum: 1 },
          limit: { type: 'integer', minimum: 1, maximum: 1000 },
          has_more: { type: 'boolean' },
          results: {
            type: 'array',
            description:
              'Values ordered by visitors (exact), then pageviews (event: events), then a hash of the value, so pages never overlap. Metrics a dimension does not have are null; an absent value is "(none)". Pages carry time_on_page and scroll_depth (null without engagement data).',
            items: {
              type: 'object',
              required: [
                'value',
                'visitors',
                'pageviews',
                'visits',
                'bounce_rate',
                'visit_duration',
                'events',
                'time_on_page',
                'scroll_depth',
                'conversion_rate',
              ],
              additionalProperties: false,
              properties: {
                value: { type: 'string' },
                visitors: nullableCount,
                pageviews: nullableCount,
                visits: nullableCount,
                bounce_rate: { type: ['number', 'null'], minimum: 0, maximum: 100 },
                visit_duration: nullableCount,
                events: nullableCount,
                time_on_page: { ...nullableCount, description: 'mean engaged seconds per visitor who engaged with the page' },
                scroll_depth: {
                  type: ['integer', 'null'],
                  minimum: 0,
                  maximum: 100,
                  description: 'mean greatest scroll depth (percent) of those visitors',
                },
                conversion_rate: { type: ['number', 'null'], minimum: 0, maximum: 100, description: 'dimension=goal only' },
              },
            },
          },
        },
      },
      Realtime: {
        type: 'object',
        required: ['site', 'visitors', 'pageviews_per_minute'],
        additionalProperties: false,
        properties: {
          site: { type: 'string' },
          visitors: { ...count, description: 'distinct visitors in the last 5 minutes' },
          pageviews_per_minute: {
            type: 'array',
            minItems: 30,
            maxItems: 30,
            items: {
              type: 'object',
              required: ['t', 'pageviews'],
              additionalProperties: false,
              properties: { t: localDateTime, pageviews: count },
            },
          },
        },
      },
      Health: { type: 'object', required: ['ok'], properties: { ok: { type: 'boolean', const: true } } },
      Readiness: {
        type: 'object',
        required: ['ready'],
        additionalProperties: false,
        description: 'Names the dependencies that are down, never their error text (that is logged).',
        properties: {
          ready: { type: 'boolean' },
          down: { type: 'array', items: { type: 'string', enum: ['database', 'schema', 'kafka', 'sink'] } },
        },
      },
    },
  },
  security: [{}, { bearer: [] }],
  paths: {
    '/api/v1/sites': {
      get: {
        summary: 'Sites the caller may read: every public site plus those the bearer token opens',
        responses: {
          '200': ok('Sites', 'The sites'),
          '304': statsErrors['304'],
          '400': statsErrors['400'],
          '405': statsErrors['405'],
          '503': statsErrors['503'],
        },
      },
    },
    '/api/v1/stats/summary': {
      get: {
        summary: 'Totals of the period and of the period of equal length before it',
        parameters: [...periodParams, param('filters')],
        responses: { '200': ok('Summary', 'Totals'), ...statsErrors },
      },
    },
    '/api/v1/stats/timeseries': {
      get: {
        summary: 'Site totals per bucket',
        parameters: [...periodParams, param('metrics'), param('interval'), param('filters')],
        responses: { '200': ok('Timeseries', 'Buckets'), ...statsErrors },
      },
    },
    '/api/v1/stats/breakdown': {
      get: {
        summary: 'Top values of a dimension',
        parameters: [...periodParams, param('dimension'), param('limit'), param('page'), param('filters')],
        responses: { '200': ok('Breakdown', 'One page of values'), ...statsErrors },
      },
    },
    '/api/v1/stats/realtime': {
      get: {
        summary: 'Visitors in the last 5 minutes and pageviews per minute of the last 30',
        parameters: [param('site'), param('filters')],
        responses: { '200': ok('Realtime', 'Realtime figures'), ...statsErrors },
      },
    },
    '/api/v1/stats/export': {
      get: {
        summary: `A ZIP of CSV files (${['visitors.csv', ...EXPORT_FILES.map(([f]) => f), 'custom_props.csv'].join(', ')}) holding the same numbers as the API's answers`,
        description:
          'visitors.csv is the timeseries (default interval); each other file a breakdown (name + the metrics its dimension has), all rows; custom_props.csv: property, value, visitors, events for the keys GET /api/v1/props lists. ' +
          'CSV per RFC 4180; text starting with = + - @ is prefixed with an apostrophe (formula injection).',
        parameters: [...periodParams, param('filters')],
        responses: {
          '200': {
            description: 'attachment `<site>-<from>-<to>.zip`',
            headers: { 'Content-Disposition': { schema: { type: 'string' } }, ETag: { schema: { type: 'string' } } },
            content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } },
          },
          ...statsErrors,
        },
      },
    },
    '/api/v1/goals': {
      get: {
        summary:
          "The site's goals (a custom event name, or a page path pattern with *); managed with `npm run sites -- goal add|list|remove`",
        parameters: [param('site')],
        responses: { '200': ok('Goals', 'The goals'), ...statsErrors },
      },
    },
    '/api/v1/props': {
      get: {
        summary: 'Custom property keys seen on custom events in the range, most used first (at most 100)',
        parameters: periodParams,
        responses: { '200': ok('Props', 'The keys'), ...statsErrors },
      },
    },
    '/api/v1/openapi.json': {
      get: {
        summary: 'This document',
        responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/healthz': {
      get: {
        summary: 'Liveness',
        responses: { '200': { description: 'running', content: { 'application/json': { schema: ref('Health') } } } },
      },
    },
    '/readyz': {
      get: {
        summary: 'Readiness: the database answers and its schema is migrated',
        responses: {
          '200': { description: 'ready', content: { 'application/json': { schema: ref('Readiness') } } },
          '503': {
            description: 'not ready: `down` lists `database` or `schema`',
            content: { 'application/json': { schema: ref('Readiness') } },
          },
        },
      },
    },
  },
} as const;
