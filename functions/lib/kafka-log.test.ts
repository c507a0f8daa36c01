import { logLevel } from 'kafkajs';
import { createKafkaLogState } from './kafka';

describe('kafkajs log during a broker outage: one line per change of state', () => {
  it('logs the first connection error, silences the repeats, and says when a broker answers again', () => {
    const s = createKafkaLogState();
    const outage = [
      [logLevel.ERROR, 'Connection error: connect ECONNREFUSED 127.0.0.1:9092'],
      [logLevel.ERROR, '[BrokerPool] Failed to connect to seed broker, trying another broker from the list'],
      [logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded: connect ECONNREFUSED'],
      [logLevel.ERROR, 'Restarting the consumer in 1000ms'],
      [logLevel.WARN, 'KafkaJSConnectionError: Connection timeout'],
    ] as const;
    const decisions = [...outage, ...outage, ...outage].map(([level, text]) => s.entry(level, text));
    expect(decisions.filter((d) => d !== 'debug')).toEqual(['warn']);
    // Other errors keep their level while the broker is away.
    expect(s.entry(logLevel.ERROR, 'The coordinator is not aware of this member')).toBe('error');
    expect(s.connected()).toBe('info');
    expect(s.connected()).toBeUndefined();
    // A second outage is a new change of state.
    expect(s.entry(logLevel.ERROR, 'Connection error: read ECONNRESET')).toBe('warn');
    expect(s.entry(logLevel.INFO, 'Consumer has joined the group')).toBe('debug');
  });
});
