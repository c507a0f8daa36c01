import { ConfigError } from '../lib/config';
import { parseStartConfig } from './config';

const parse = (argv: string[], env: Record<string, string> = {}) => parseStartConfig(argv, env, false);

describe('npm start options', () => {
  it('has defaults for a first run with nothing configured', () => {
    const r = parse([]);
    if (r.help) throw new Error('unexpected help');
    expect(r.config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      rate: 10,
      backfillDays: 30,
      backfillSessionsPerDay: 300,
      topicPrefix: 'wtm',
      status: false,
    });
    expect(r.config.databaseUrl).toMatch(/^sqlite:.*\.data\/wtm\.sqlite$/);
    expect(r.config.kafkaBrokers).toBeUndefined();
    expect(Object.isFrozen(r.config)).toBe(true);
  });

  it('takes flags over environment, and the real services from the environment', () => {
    const r = parse(['--port', '9000', '--rate', '0', '--sites', 'shop.example', '--backfill-end', '2026-11-01T00:00:00Z'], {
      PORT: '7000',
      KAFKA_BROKERS: '127.0.0.1:9092',
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/wtm',
    });
    if (r.help) throw new Error('unexpected help');
    expect(r.config).toMatchObject({
      port: 9000,
      rate: 0,
      kafkaBrokers: ['127.0.0.1:9092'],
      databaseUrl: 'mysql://root@127.0.0.1:3306/wtm',
      backfillEnd: Date.parse('2026-11-01T00:00:00Z'),
    });
    expect(r.config.sites.map((s) => s.hostname)).toEqual(['shop.example']);
  });

  it('--no-simulate: no demo sites, no history, no live traffic; --site registers real sites; no rate limit on /api/event', () => {
    const r = parse(['--no-simulate', '--site', 'Example.com@Europe/Berlin', '--site', 'b.example']);
    if (r.help) throw new Error('unexpected help');
    expect(r.config).toMatchObject({ simulate: false, rate: 0, backfillDays: 0, sites: [] });
    expect(r.config.realSites).toEqual([
      { hostname: 'example.com', timezone: 'Europe/Berlin' },
      { hostname: 'b.example', timezone: 'UTC' },
    ]);
    expect(r.config.collect.rateLimit).toBeUndefined();
    const limited = parse([], { WTM_COLLECT_RATE: '5', WTM_SITE: 'c.example' });
    if (limited.help) throw new Error('unexpected help');
    expect(limited.config.collect.rateLimit).toEqual({ ratePerSecond: 5, burst: 50 });
    expect(limited.config.realSites).toEqual([{ hostname: 'c.example', timezone: 'UTC' }]);
    expect(limited.config.simulate).toBe(true);
  });

  it('answers --help', () => {
    expect(parse(['--help'])).toEqual({ help: true });
  });

  it.each([
    [['--port', '70000'], {}, /--port/],
    [['--rate', 'fast'], {}, /--rate/],
    [['--sites', 'nope.example'], {}, /--sites/],
    [['--backfill-end', 'yesterday'], {}, /--backfill-end/],
    [['--colour'], {}, /colour/],
    [[], { KAFKA_BROKERS: 'localhost' }, /KAFKA_BROKERS/],
    [[], { DATABASE_URL: 'postgres://x' }, /DATABASE_URL/],
    [[], { WTM_TOPIC_PREFIX: 'Bad Prefix' }, /WTM_TOPIC_PREFIX/],
    [[], { LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [['--site', 'not a host'], {}, /--site/],
    [['--site', 'a.example@Mars/Olympus'], {}, /time zone/],
    [[], { WTM_TRUSTED_PROXIES: '10.0.0.0/99' }, /WTM_TRUSTED_PROXIES/],
  ] as [string[], Record<string, string>, RegExp][])('refuses %j %j with a message naming it', (argv, env, message) => {
    expect(() => parse(argv, env)).toThrow(ConfigError);
    expect(() => parse(argv, env)).toThrow(message);
  });
});
