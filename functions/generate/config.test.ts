import { ConfigError } from '../lib/config';
import { parseCliConfig } from './config';

const NOW = new Date('2026-03-02T00:00:00Z');
const env = { KAFKA_BROKERS: '127.0.0.1:9092' };
const parse = (...argv: string[]) => {
  const p = parseCliConfig(argv, env, NOW);
  if (p.help) throw new Error('unexpected --help');
  return p.config;
};

describe('generate CLI config', () => {
  it('sends tracker-shaped events by default, with engagement reports', () => {
    expect(parse()).toMatchObject({ count: 10_000, clientSessionIds: false, engagementShare: 0.6, seed: 42 });
  });

  it.each([
    [['--client-session-ids'], { clientSessionIds: true }],
    [['--engagement-share', '0'], { engagementShare: 0 }],
    [['--sessions-per-day', '300', '--seed', '7'], { sessionsPerDay: 300, seed: 7 }],
  ])('%j', (argv, want) => {
    expect(parse(...argv)).toMatchObject(want);
  });

  it.each([[['--engagement-share', '1.5']], [['--client-session-ids=yes']], [['--count', '5', '--sessions-per-day', '5']]])(
    'refuses %j',
    (argv) => {
      expect(() => parse(...argv)).toThrow(ConfigError);
    },
  );
});
