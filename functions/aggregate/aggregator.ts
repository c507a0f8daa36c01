/**
 * The aggregate stage's batch entry point, shared by the kafkajs runner, the HTTP function and
 * `npm start`: decode each message, look its site up, and hand the good ones to the writer.
 * Each message ends in exactly one outcome: stored, or rejected (bad event, or `unknown_site` for a
 * site that is not — or no longer — registered) on the rejected topic. A transient failure (database
 * or Kafka down) throws, so nothing is acknowledged.
 */
import {
  createRejectedEvent,
  decodeEnriched,
  isEventFormatError,
  EventFormatError,
  type Topics,
  type CloudEvent,
  type RejectedTraffic,
} from '../../events';
import type { Inbound, Publisher } from '../lib/bus';
import { TransientError, errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { SiteLookup } from '../sites/types';
import type { ResolvedEvent, Writer } from './writer';

export interface AggregatorDeps {
  writer: Writer;
  sites: SiteLookup;
  /** Where rejected events go. Without one (an HTTP function with no Kafka), `handle` stores the good
   * events and then throws the first EventFormatError, for the adapter to answer 400 (Knative's dead-letter sink). */
  publisher?: Publisher | undefined;
  topics: Pick<Topics, 'rejected'>;
  logger: Logger;
  now?: () => Date;
}

export interface AggregateOutcome {
  stored: number;
  rejected: number;
}

export interface Aggregator {
  /** Resolves once every message is stored or rejected; throws TransientError otherwise. */
  handle(batch: readonly Inbound[]): Promise<AggregateOutcome>;
}

export function createAggregator(deps: AggregatorDeps): Aggregator {
  const log = deps.logger.child({ component: 'aggregator' });
  const now = deps.now ?? (() => new Date());
  return {
    async handle(batch) {
      const good: ResolvedEvent[] = [];
      const rejected: CloudEvent<RejectedTraffic>[] = [];
      let firstProblem: EventFormatError | undefined;
      for (const inbound of batch) {
        try {
          const event = decodeEnriched(inbound.decode());
          let site;
          try {
            site = await deps.sites.getSite(event.data.site);
          } catch (e) {
            throw new TransientError(`site lookup failed: ${errorMessage(e)}`, { cause: e });
          }
          if (site === undefined) {
            throw new EventFormatError('unknown_site', [{ path: 'data.site', message: `site "${event.data.site}" is not registered` }]);
          }
          good.push({ event, site });
        } catch (e) {
          if (!isEventFormatError(e)) throw e;
          log.info({ where: inbound.where, reason: e.reason }, 'rejected');
          firstProblem ??= e;
          rejected.push(
            createRejectedEvent({ stage: 'aggregate', reason: e.reason, problems: e.problems, original: inbound.original(), now: now() }),
          );
        }
      }
      const publishRejected = async () => {
        if (rejected.length === 0 || deps.publisher === undefined) return;
        try {
          await deps.publisher.publish(deps.topics.rejected, rejected);
        } catch (e) {
          throw e instanceof TransientError ? e : new TransientError(`publishing rejected events failed: ${errorMessage(e)}`, { cause: e });
        }
      };
      await Promise.all([deps.writer.add(good), publishRejected()]);
      if (deps.publisher === undefined && firstProblem !== undefined) throw firstProblem;
      return { stored: good.length, rejected: rejected.length };
    },
  };
}
