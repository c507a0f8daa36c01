import { addVisitorDelta, createRollupAccumulator } from './deltas';
import type { StoredEvent } from './model';

const pageview = (ts: number, page: string): StoredEvent => ({
  siteId: 1,
  day: 0,
  eventKey: `k${ts}`,
  ts,
  visitKey: 'v',
  visitorId: '0123456789abcdef',
  kind: 'pageview',
  bot: false,
  name: '',
  page,
  engagedMs: 0,
  scrollDepth: null,
});

const visitorDeltas = (before: StoredEvent[], after: StoredEvent[]) => {
  const acc = createRollupAccumulator();
  addVisitorDelta(acc, 1, 'UTC', { visits: [], events: before }, { visits: [], events: after });
  return acc
    .rows()
    .map((r) => `${r.grain} ${r.dimension || '-'} ${new Date(r.bucket).toISOString()} ${r.value || '-'} ${r.counters.visitors}`)
    .sort();
};

describe('addVisitorDelta', () => {
  // 2300 is past what the packed row number holds (±127 years of 1970): those rows take the string key
  const now = Date.UTC(2026, 11, 3, 10, 15, 30);
  const far = Date.UTC(2300, 0, 1, 8, 0, 5);

  it('counts a new visitor-day once in every row it is in, near or far buckets alike', () => {
    expect(visitorDeltas([], [pageview(now, '/a'), pageview(now + 1000, '/a'), pageview(far, '/b')])).toEqual([
      'd - 2026-12-03T00:00:00.000Z - 1',
      'd - 2300-01-01T00:00:00.000Z - 1',
      'd page 2026-12-03T00:00:00.000Z /a 1',
      'd page 2300-01-01T00:00:00.000Z /b 1',
      'h - 2026-12-03T10:00:00.000Z - 1',
      'h - 2300-01-01T08:00:00.000Z - 1',
      'h page 2026-12-03T10:00:00.000Z /a 1',
      'h page 2300-01-01T08:00:00.000Z /b 1',
      'm - 2026-12-03T10:15:00.000Z - 1',
      'm - 2300-01-01T08:00:00.000Z - 1',
    ]);
  });

  it('adds only the rows a flush brings in, and takes out the ones it leaves', () => {
    const before = [pageview(now, '/a'), pageview(far, '/b')];
    expect(visitorDeltas(before, before)).toEqual([]);
    expect(visitorDeltas(before, [...before, pageview(now + 60_000, '/a'), pageview(far + 60_000, '/b')])).toEqual([
      'm - 2026-12-03T10:16:00.000Z - 1',
      'm - 2300-01-01T08:01:00.000Z - 1',
    ]);
    expect(visitorDeltas(before, [pageview(now, '/c')])).toEqual([
      'd - 2300-01-01T00:00:00.000Z - -1',
      'd page 2026-12-03T00:00:00.000Z /a -1',
      'd page 2026-12-03T00:00:00.000Z /c 1',
      'd page 2300-01-01T00:00:00.000Z /b -1',
      'h - 2300-01-01T08:00:00.000Z - -1',
      'h page 2026-12-03T10:00:00.000Z /a -1',
      'h page 2026-12-03T10:00:00.000Z /c 1',
      'h page 2300-01-01T08:00:00.000Z /b -1',
      'm - 2300-01-01T08:00:00.000Z - -1',
    ]);
  });
});
