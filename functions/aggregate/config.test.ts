import { ConfigError } from '../lib/config';
import { DEFAULT_FLUSH_SIZE, readAggregateConfig } from './config';

const base = { DATABASE_URL: 'sqlite::memory:' };

describe('readAggregateConfig', () => {
  it('has the documented defaults', () => {
    expect(readAggregateConfig(base, { needKafka: false })).toMatchObject({
      flushSize: DEFAULT_FLUSH_SIZE,
      flushIntervalMs: 250,
      factRetentionDays: 400,
      siteCacheTtlMs: 30_000,
      topicPrefix: 'wtm',
    });
  });

  it.each([
    ['8', 8],
    ['30', 30],
    ['4000', 4000],
  ])('WTM_FACT_RETENTION_DAYS=%s', (raw, days) => {
    expect(readAggregateConfig({ ...base, WTM_FACT_RETENTION_DAYS: raw }, { needKafka: false }).factRetentionDays).toBe(days);
  });

  it.each(['7', '0', '-1', '8.5', 'x'])('refuses WTM_FACT_RETENTION_DAYS=%s, naming it (dedupe must outlive Kafka’s 7 days)', (raw) => {
    const read = () => readAggregateConfig({ ...base, WTM_FACT_RETENTION_DAYS: raw }, { needKafka: false });
    expect(read).toThrow(ConfigError);
    expect(read).toThrow(/WTM_FACT_RETENTION_DAYS/);
  });
});
