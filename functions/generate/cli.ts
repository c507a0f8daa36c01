/**
 * `npm run generate -- --count 100000 --rate 5000 --seed 42 --truth truth.json`: simulates traffic,
 * produces it to Kafka in batches, shows progress and the achieved rate on stderr (one updating
 * line on a TTY), and writes the ground truth of what was sent.
 */
import { writeFile } from 'node:fs/promises';
import { topicNames, type RawTraffic } from '../../events';
import { ConfigError } from '../lib/config';
import { openGeoIp, type GeoIp } from '../lib/geoip';
import { createKafkaPublisher, ensureTopics } from '../lib/kafka';
import { createLogger } from '../lib/logger';
import { CLI_HELP, parseCliConfig } from './config';
import { createGroundTruth, type DimensionsOf, type TruthDimensions } from './ground-truth';
import { createRecordSender } from './record-sender';
import { runGeneration, type Progress } from './run';
import { createSimulator } from './simulator';

/**
 * enrich's own `dimensionsOf(raw, geoip)`, so the truth names values exactly as the pipeline does.
 * Loaded only when --truth asks for it.
 */
async function loadDimensionsOf(geoip: GeoIp): Promise<DimensionsOf> {
  const mod: unknown = await import('../enrich' as string).catch(() => undefined);
  const fn: unknown = typeof mod === 'object' && mod !== null && 'dimensionsOf' in mod ? mod.dimensionsOf : undefined;
  if (typeof fn !== 'function') throw new ConfigError('--truth needs dimensionsOf from functions/enrich, which is not available');
  return (raw) => (fn as (raw: RawTraffic, geo: GeoIp) => TruthDimensions)(raw, geoip);
}

function formatProgress(p: Progress, total: number | undefined): string {
  const rate = p.elapsedMs > 0 ? Math.round((p.events / p.elapsedMs) * 1000) : 0;
  const pct = total !== undefined && total > 0 ? ` (${((p.events / total) * 100).toFixed(1)}%)` : '';
  return `generated ${p.events.toLocaleString('en-US')}${pct} events, ${p.malformed} malformed, ${rate.toLocaleString('en-US')} events/s, ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const parsed = parseCliConfig(process.argv.slice(2), process.env, new Date());
  if (parsed.help) {
    process.stdout.write(`${CLI_HELP}\n`);
    return 0;
  }
  const c = parsed.config;
  const logger = createLogger({ name: 'generate', level: c.logLevel });
  const geoip = await openGeoIp();
  const truth = c.truthPath === undefined ? undefined : createGroundTruth({ sites: c.sites, dimensionsOf: await loadDimensionsOf(geoip) });
  const simulator = createSimulator({ ...c, geoip });
  const publisher = createKafkaPublisher({ brokers: c.brokers, clientId: 'wtm-generate', logger });
  const sender = createRecordSender({ brokers: c.brokers, clientId: 'wtm-generate-raw', logger });
  const topic = topicNames(c.topicPrefix).raw;
  // locally nothing else creates the topic (in Kubernetes the topics Job does; this is then a no-op)
  await ensureTopics(c.brokers, [topic], 4, { logger });
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  try {
    const done = await runGeneration({
      items: simulator,
      publisher,
      topic,
      sendRecords: (topic, records) => sender.send(topic, records),
      batchSize: c.batchSize,
      rate: c.rate,
      ...(truth === undefined ? {} : { truth }),
      signal: abort.signal,
      onProgress: (p) => {
        if (tty) process.stderr.write(`\r${formatProgress(p, c.count)}\x1b[K`);
        else if (p.elapsedMs - lastLine >= 5000) {
          lastLine = p.elapsedMs;
          process.stderr.write(`${formatProgress(p, c.count)}\n`);
        }
      },
    });
    process.stderr.write(`${tty ? '\r' : ''}${formatProgress(done, c.count)}${tty ? '\x1b[K' : ''}\n`);
    if (truth !== undefined && c.truthPath !== undefined) {
      await writeFile(
        c.truthPath,
        `${JSON.stringify({ run: { runId: simulator.runId, seed: c.seed, from: c.from, to: c.to }, ...truth.toJSON() }, null, 1)}\n`,
      );
      process.stderr.write(`ground truth written to ${c.truthPath}\n`);
    }
    return abort.signal.aborted ? 130 : 0;
  } finally {
    await publisher.close();
    await sender.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`generate: ${e instanceof ConfigError ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(e instanceof ConfigError ? 2 : 1);
  },
);
