/**
 * The implementation against its OpenAPI document: every documented route exists, every API route is
 * documented, and real responses (200 and errors) validate with ajv against the documented schemas.
 */
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { createDatabase, type Database } from '../lib/db';
import { DAY_MS, bucketOf, toLocalMs } from '../lib/time';
import { API_ROUTES, OPENAPI_PATH, createQueryHandler, type QueryHandler } from './handler';
import { openApiDocument } from './openapi';
import { makeVisits, seedSite, seedToken } from './testing/seed';

const NOW = Date.parse('2026-03-10T20:17:30Z');
const doc = JSON.parse(JSON.stringify(openApiDocument)) as {
  paths: Record<string, { get: { responses: Record<string, { content?: { 'application/json': { schema: object } } }> } }>;
  components: { schemas: Record<string, object> };
};
let db: Database;
let handler: QueryHandler;
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema({ $id: 'doc', components: doc.components });

function validatorFor(path: string, status: number) {
  const response = doc.paths[path]?.get.responses[String(status)];
  expect(response).toBeDefined();
  const schema = response?.content?.['application/json'].schema;
  if (schema === undefined) return undefined;
  // Resolve #/components refs against the document registered as "doc".
  return ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')) as object);
}

beforeAll(async () => {
  db = createDatabase({ url: 'sqlite::memory:' });
  await db.migrate();
  const today = bucketOf(toLocalMs(NOW, 'Asia/Kolkata'), 'd');
  await seedSite(db, {
    hostname: 'pub.example',
    timezone: 'Asia/Kolkata',
    isPublic: true,
    visits: makeVisits('pub.example', today - 6 * DAY_MS, 7, 8, 3),
  });
  const priv = await seedSite(db, { hostname: 'priv.example', timezone: 'UTC', isPublic: false, visits: [] });
  await seedToken(db, priv.id, 'tok');
  handler = createQueryHandler({ db, now: () => NOW });
});
afterAll(() => db.close());

it('documents exactly the implemented routes', () => {
  const implemented = [...Object.keys(API_ROUTES), OPENAPI_PATH, '/healthz', '/readyz'].sort();
  expect(Object.keys(doc.paths).sort()).toEqual(implemented);
});

it('is a document ajv accepts, with valid component schemas', () => {
  for (const [name, schema] of Object.entries(doc.components.schemas)) expect([name, ajv.validateSchema(schema)]).toEqual([name, true]);
});

const calls: [string, Record<string, string>, number][] = [
  ['/api/v1/sites', {}, 200],
  ['/api/v1/sites', { authorization: 'Bearer tok' }, 200],
  ['/api/v1/sites?x=1', {}, 400],
  ['/api/v1/stats/summary?site=pub.example&period=7d', {}, 200],
  ['/api/v1/stats/summary?site=pub.example&period=24h', {}, 200],
  ['/api/v1/stats/summary?site=priv.example', {}, 401],
  ['/api/v1/stats/summary?site=priv.example', { authorization: 'Bearer nope' }, 403],
  [
    '/api/v1/stats/timeseries?site=pub.example&metrics=visitors,pageviews,visits,bounce_rate,visit_duration,views_per_visit,events,bot_events',
    {},
    200,
  ],
  ['/api/v1/stats/timeseries?site=pub.example&period=today', {}, 200],
  ['/api/v1/stats/timeseries?site=pub.example&interval=minute', {}, 400],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=page', {}, 200],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=source&limit=2', {}, 200],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=event', {}, 200],
  // 24h cuts through two days: read from the facts, same document
  ['/api/v1/stats/breakdown?site=pub.example&dimension=page&period=24h', {}, 200],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=country&period=24h', {}, 200],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=event&period=24h', {}, 200],
  ['/api/v1/stats/breakdown?site=pub.example&dimension=nope', {}, 400],
  ['/api/v1/stats/realtime?site=pub.example', {}, 200],
  [OPENAPI_PATH, {}, 200],
  ['/healthz', {}, 200],
  ['/readyz', {}, 200],
];

it.each(calls)('GET %s %j answers %i as documented', async (url, headers, status) => {
  const r = await handler.handle({ method: 'GET', url, headers });
  expect(r.status).toBe(status);
  const validate = validatorFor(url.split('?')[0]!, status);
  expect(validate).toBeDefined();
  const ok = validate!(JSON.parse(String(r.body)));
  expect(validate!.errors ?? []).toEqual([]);
  expect(ok).toBe(true);
});

it('documents 405 for every API route, and the route answers it', async () => {
  for (const path of Object.keys(API_ROUTES)) {
    const r = await handler.handle({ method: 'POST', url: path, headers: {} });
    expect(r.status).toBe(405);
    expect(validatorFor(path, 405)!(JSON.parse(String(r.body)))).toBe(true);
  }
});
