/**
 * The same `npm start` path on the real services: with KAFKA_BROKERS and DATABASE_URL=mysql://… it
 * runs the kafkajs runners and stores into MySQL/MariaDB, and the history it simulates (fixed end and
 * seed, so reproducible; tracker-shaped, so visits are derived by aggregate) is answered by the product's
 * own stats API exactly as the simulator's ground truth says (test/pipeline/compare.ts: every count and
 * visitors per site-day and dimension value, whole-day ranges, hours, 24h within 2 %).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RawTraffic } from '../../events';
import { dimensionsOf } from '../../functions/enrich/classify';
import { createGroundTruth, recordItem } from '../../functions/generate/ground-truth';
import { createSimulator } from '../../functions/generate/simulator';
import { DEMO_SITES } from '../../functions/generate/sites';
import { createDatabase } from '../../functions/lib/db';
import { openGeoIp } from '../../functions/lib/geoip';
import { DAY_MS, HOUR_MS } from '../../functions/lib/time';
import { compareThroughApi, formatMismatches, tokenHeaders, type Mismatch } from '../pipeline/compare';
import { describeWithServices } from '../services';
import { startProduct, waitFor, type StartedProcess } from './harness';

const SEED = 7;
const DAYS = 2;
const VISITS_PER_DAY = 400;

describeWithServices('npm start on Kafka and MySQL', ['kafka', 'mysql'], (services) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'wtm-start-svc-'));
  let running: StartedProcess | undefined;

  afterAll(async () => {
    if (running !== undefined) await running.stop('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('counts its simulated history exactly as the ground truth', async () => {
    const { brokers, databaseUrl, topicPrefix } = services();
    const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const from = end - DAYS * DAY_MS;

    // the truth of exactly what npm start's backfill simulates (same seed, sites, range and rate)
    const geo = await openGeoIp();
    const truth = createGroundTruth({ sites: DEMO_SITES, dimensionsOf: (raw: RawTraffic) => dimensionsOf(raw, geo) });
    let sent = 0;
    for (const item of createSimulator({
      seed: SEED,
      sites: DEMO_SITES,
      from: new Date(from),
      to: new Date(end),
      sessionsPerDay: VISITS_PER_DAY,
      geoip: geo,
    })) {
      recordItem(truth, item);
      if (item.type === 'event') sent++;
    }
    const expected = truth.toJSON();

    running = await startProduct(
      [
        '--port',
        '0',
        '--data',
        dataDir,
        '--rate',
        '0',
        '--seed',
        String(SEED),
        '--backfill-days',
        String(DAYS),
        '--backfill-visits',
        String(VISITS_PER_DAY),
        '--backfill-end',
        new Date(end).toISOString(),
        '--no-status',
      ],
      {
        KAFKA_BROKERS: brokers.join(','),
        DATABASE_URL: databaseUrl,
        WTM_TOPIC_PREFIX: topicPrefix,
        WTM_SALT_SECRET: 'start-services-test-secret',
      },
    );
    await waitFor('the storage line', async () => (/^storage: /m.test(running!.output()) ? true : undefined), 30_000);
    expect(running.output()).toMatch(/storage: MySQL .*; transport: Kafka/);
    await waitFor(
      'backfill generated',
      async () => (/backfill: [\d,]+ events generated/.test(running!.output()) ? true : undefined),
      180_000,
    );
    expect(running.output()).toContain(`backfill: ${sent.toLocaleString('en')} events generated`);

    const db = createDatabase({ url: databaseUrl });
    try {
      // the product's own API (its port), private sites opened by a token made in its database
      const api = { baseUrl: running.url.replace(/\/$/, ''), headersFor: (site: string) => tokenHeaders(db, site) };
      let mismatches: Mismatch[] = [];
      await waitFor(
        'the API to match the ground truth',
        async () => {
          mismatches = await compareThroughApi(api, expected);
          return mismatches.length === 0 ? true : undefined;
        },
        240_000,
        3000,
      ).catch(() => undefined);
      if (mismatches.length > 0) throw new Error(`npm start on Kafka/MySQL differs from the truth:\n${formatMismatches(mismatches)}`);
    } finally {
      await db.close();
    }
    await running.stop('SIGINT');
    expect(running.output()).toMatch(/stopped; data kept in MySQL/);
  });
});
