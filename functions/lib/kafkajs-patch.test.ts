import { createRequire } from 'node:module';
import { patchKafkajsRequestQueue, pendingCheckDelay } from './kafkajs-patch';

describe('kafkajs RequestQueue fix (TimeoutNegativeWarning, 1 ms polling)', () => {
  it.each([
    ['nothing pending, never throttled', -1, 0, undefined],
    ['nothing pending, throttle over', 900, 0, undefined],
    ['pending, not throttled: kafkajs interval', -1, 2, 10],
    ['throttled: when the throttle ends', 1500, 0, 500],
    ['throttled with pending requests', 1500, 3, 500],
  ])('%s', (_name, throttledUntil, pending, want) => {
    expect(pendingCheckDelay(throttledUntil, pending, 1000)).toBe(want);
  });

  it('the patched kafkajs never schedules a timer from a past time', () => {
    expect(patchKafkajsRequestQueue()).toBe(true);
    const RequestQueue = createRequire(__filename)('kafkajs/src/network/requestQueue') as {
      prototype: { scheduleCheckPendingRequests(this: unknown): void };
    };
    const spy = jest.spyOn(global, 'setTimeout');
    try {
      const queue = { throttledUntil: -1, pending: [] as unknown[], throttleCheckTimeoutId: null, checkPendingRequests: jest.fn() };
      RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
      expect(spy).not.toHaveBeenCalled();
      queue.pending.push({});
      RequestQueue.prototype.scheduleCheckPendingRequests.call(queue);
      expect(spy.mock.calls.map((c) => c[1])).toEqual([10]);
      clearTimeout(queue.throttleCheckTimeoutId ?? undefined);
    } finally {
      spy.mockRestore();
    }
  });
});
