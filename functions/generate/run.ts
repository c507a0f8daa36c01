/**
 * Drives a simulator into publishers: valid events in batches through the typed `Publisher`,
 * malformed records as-is through `sendRecords`, optionally at a bounded rate, feeding the ground
 * truth with exactly what was handed over. Clock and sleep are injected.
 */
import type { KafkaOutgoing } from '../../events';
import type { Publisher } from '../lib/bus';
import { recordItem, type GroundTruth } from './ground-truth';
import { inBatches, type SimulatedItem } from './simulator';

export interface Progress {
  events: number;
  malformed: number;
  elapsedMs: number;
}

export interface RunDeps {
  items: Iterable<SimulatedItem>;
  publisher: Publisher;
  topic: string;
  /** Sends ready-made records (malformed ones); required when the simulator emits them. */
  sendRecords?: (topic: string, records: readonly KafkaOutgoing[]) => Promise<void>;
  batchSize: number;
  /** Publishes in flight at once (the kafkajs publisher coalesces them into larger requests); default 8. */
  inFlight?: number;
  /** Events per second; 0 = unlimited. */
  rate: number;
  truth?: GroundTruth;
  onProgress?: (p: Progress) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Stops between batches (Ctrl-C). */
  signal?: AbortSignal;
}

export async function runGeneration(deps: RunDeps): Promise<Progress> {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = now();
  const progress: Progress = { events: 0, malformed: 0, elapsedMs: 0 };
  const window: Promise<void>[] = [];
  for (const batch of inBatches(deps.items, deps.batchSize)) {
    if (deps.signal?.aborted === true) break;
    const events = batch.flatMap((i) => (i.type === 'event' ? [i.event] : []));
    const bad = batch.flatMap((i) => (i.type === 'malformed' ? [i.record] : []));
    if (bad.length > 0 && deps.sendRecords === undefined) throw new Error('malformed records need sendRecords');
    const published = Promise.all([
      deps.publisher.publish(deps.topic, events),
      bad.length > 0 ? deps.sendRecords!(deps.topic, bad) : undefined,
    ]).then(() => {
      // the truth sees only what was handed over durably
      if (deps.truth !== undefined) for (const i of batch) recordItem(deps.truth, i);
      progress.events += events.length;
      progress.malformed += bad.length;
      progress.elapsedMs = now() - started;
      deps.onProgress?.({ ...progress });
    });
    window.push(published);
    if (window.length >= (deps.inFlight ?? 8)) await window.shift();
    if (deps.rate > 0) {
      const ahead = (progress.events / deps.rate) * 1000 - (now() - started);
      if (ahead > 0) await sleep(ahead);
    }
  }
  await Promise.all(window);
  progress.elapsedMs = now() - started;
  return progress;
}
