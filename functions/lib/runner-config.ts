/**
 * What only the kafkajs runners read (their main.ts; the HTTP functions join no consumer group, so their
 * Services never set it).
 */
import { envInt, type Env } from './config';
import { DEFAULT_SESSION_TIMEOUT_MS } from './kafka';

/** WTM_KAFKA_SESSION_TIMEOUT_MS: the consumer group's session timeout (runConsumer's `sessionTimeoutMs`). */
export function readSessionTimeout(env: Env): number {
  return envInt(env, 'WTM_KAFKA_SESSION_TIMEOUT_MS', DEFAULT_SESSION_TIMEOUT_MS, { min: 6_000, max: 300_000 });
}
