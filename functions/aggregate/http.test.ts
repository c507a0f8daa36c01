import type { Request, Response } from '@google-cloud/functions-framework';
import { QueryTypes } from 'sequelize';
import { decodeRejected, toHttpBinary, toHttpStructured, topicNames, type RejectedTraffic } from '../../events';
import { createInProcessBus, type InProcessBus } from '../lib/bus';
import { silentLogger } from '../lib/logger';
import { buildEvents } from './fixtures';
import { createAggregateHttpHandler } from './http';
import { createAggregateStage, type AggregateStage } from './stage';

const topics = topicNames('wtm');

function call(
  handler: ReturnType<typeof createAggregateHttpHandler>,
  req: { method?: string; path?: string; headers: Record<string, string>; body: string },
) {
  const res = { statusCode: 0, body: undefined as unknown, headers: {} as Record<string, string> };
  const response = {
    status(code: number) {
      res.statusCode = code;
      return response;
    },
    set(name: string, value: string) {
      res.headers[name] = value;
      return response;
    },
    json(body: unknown) {
      res.body = body;
      return response;
    },
  };
  const request = { method: req.method ?? 'POST', path: req.path ?? '/', headers: req.headers, rawBody: Buffer.from(req.body) };
  return handler(request as unknown as Request, response as unknown as Response).then(() => res);
}

describe('aggregate HTTP function (SQLite, in-process bus)', () => {
  let stage: AggregateStage;
  let bus: InProcessBus;
  const rejected: RejectedTraffic[] = [];
  const [good, other] = buildEvents({ seed: 5, sessions: 2 }).filter((e) => !e.data.bot);

  beforeAll(async () => {
    bus = createInProcessBus();
    bus.subscribe(topics.rejected, async (batch) => {
      for (const m of batch) rejected.push(decodeRejected(m.decode()).data);
    });
    stage = await createAggregateStage({
      db: 'sqlite::memory:',
      migrate: true,
      publisher: bus,
      topics,
      logger: silentLogger,
      writer: { flushIntervalMs: 5, pruneIntervalMs: 0 },
    });
    await stage.registry.add({ hostname: good!.data.site, timezone: 'UTC', isPublic: true });
  });
  afterAll(() => stage.close());

  const handler = () => createAggregateHttpHandler({ aggregator: stage.aggregator, logger: silentLogger });
  const pageviews = async () =>
    Number(
      (
        await stage.db.sequelize.query<{ n: number }>(
          "SELECT COALESCE(SUM(pageviews), 0) + COALESCE(SUM(events), 0) AS n FROM rollups WHERE grain = 'd' AND dimension = ''",
          {
            type: QueryTypes.SELECT,
          },
        )
      )[0]!.n,
    );

  it('answers 200 only once a binary-mode event is stored, and again for its redelivery', async () => {
    const r = await call(handler(), toHttpBinary(good!));
    expect(r).toMatchObject({ statusCode: 200, body: { status: 'stored' } });
    expect(await pageviews()).toBe(1);
    expect((await call(handler(), toHttpBinary(good!))).statusCode).toBe(200);
    expect(await pageviews()).toBe(1);
  });

  it('takes structured mode too', async () => {
    const e = { ...good!, attributes: { ...good!.attributes, id: 'another-id' } };
    expect((await call(handler(), toHttpStructured(e))).statusCode).toBe(200);
    expect(await pageviews()).toBe(2);
  });

  it('rejects a bad event and an unregistered site to the rejected topic with 200', async () => {
    const bad = toHttpBinary(good!);
    expect(await call(handler(), { ...bad, body: '{"site": 1}' })).toMatchObject({ statusCode: 200, body: { status: 'rejected' } });
    const unknown = { ...other!, data: { ...other!.data, site: 'unregistered.example' } };
    expect(await call(handler(), toHttpBinary(unknown))).toMatchObject({ statusCode: 200, body: { status: 'rejected' } });
    await bus.drain();
    expect(rejected.map((r) => [r.stage, r.reason])).toEqual([
      ['aggregate', 'invalid_data'],
      ['aggregate', 'unknown_site'],
    ]);
    expect(rejected[1]!.original.body).toContain('unregistered.example');
  });

  it('answers 400 for a bad event when there is no rejected topic (Knative dead-letter sink)', async () => {
    const noTopic = await createAggregateStage({ db: stage.db, topics, logger: silentLogger, writer: { pruneIntervalMs: 0 } });
    const h = createAggregateHttpHandler({ aggregator: noTopic.aggregator, logger: silentLogger });
    expect(await call(h, { headers: { 'content-type': 'application/json' }, body: '{}' })).toMatchObject({
      statusCode: 400,
      body: { error: { code: 'invalid_cloudevent' } },
    });
    await noTopic.writer.close();
  });

  it('answers 405 to other methods and 404 to other paths', async () => {
    expect((await call(handler(), { method: 'GET', headers: {}, body: '' })).statusCode).toBe(405);
    expect((await call(handler(), { path: '/x', headers: {}, body: '' })).statusCode).toBe(404);
  });

  it('answers 503 when the database is gone, and readiness says so', async () => {
    const broken = await createAggregateStage({
      db: 'sqlite::memory:',
      topics,
      logger: silentLogger,
      publisher: bus,
      writer: { attempts: 2, retryDelayMs: 1, flushIntervalMs: 1, pruneIntervalMs: 0 },
    });
    expect(await broken.ready()).toMatchObject({ ok: false });
    // only a `sites` table: the lookup succeeds, the flush fails (no processed_events) and is not acknowledged
    await broken.db.sequelize.query(
      'CREATE TABLE sites (id INTEGER PRIMARY KEY, hostname TEXT, timezone TEXT, is_public INTEGER, created_at INTEGER)',
    );
    await broken.db.sequelize.query(`INSERT INTO sites VALUES (1, '${good!.data.site}', 'UTC', 1, 0)`);
    const h = createAggregateHttpHandler({ aggregator: broken.aggregator, logger: silentLogger });
    expect(await call(h, toHttpBinary(good!))).toMatchObject({ statusCode: 503, body: { error: { code: 'unavailable' } } });
    await broken.close().catch(() => undefined);
  });
});
