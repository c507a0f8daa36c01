/**
 * Chart math for the time series and sparklines: D3 computes scales, ticks and path strings; the
 * elements only render them. Times are site-local wall-clock epoch ms (the API's offset-less
 * date-times read as UTC), the same convention as the SQL buckets, so UTC time intervals step
 * through the site's own days and hours.
 */
import { max } from 'd3-array';
import { scaleLinear, scaleUtc, type ScaleLinear, type ScaleTime } from 'd3-scale';
import { area, curveMonotoneX, line } from 'd3-shape';
import { utcDay, utcHour, utcMinute, utcMonth, utcWeek, type TimeInterval } from 'd3-time';
import type { Interval } from './api';

export interface Point {
  /** Site-local wall-clock epoch ms. */
  t: number;
  value: number;
}

const STEP_MS: Record<Interval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

/** "2026-11-28T13:00:00" → wall-clock epoch ms; NaN when it is not such a date-time. */
export function parseLocal(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (!m) return NaN;
  const n = (i: number) => Number(m[i] ?? 0);
  return Date.UTC(n(1), n(2) - 1, n(3), n(4), n(5), n(6));
}

/**
 * One point per bucket of [from, to): the API promises every bucket, but a missing one is drawn
 * as zero rather than interpolated over, which would invent traffic.
 */
export function fillBuckets<K extends string>(
  buckets: readonly ({ t: string } & Partial<Record<K, number>>)[],
  metric: K,
  interval: Interval,
  range: { from: string; to: string },
): Point[] {
  const byT = new Map<number, number>();
  for (const b of buckets) {
    const t = parseLocal(b.t);
    const v: unknown = b[metric];
    if (!Number.isNaN(t)) byT.set(t, typeof v === 'number' ? v : 0);
  }
  const from = parseLocal(range.from);
  const to = parseLocal(range.to);
  if (Number.isNaN(from) || Number.isNaN(to) || to <= from) {
    return [...byT].sort((a, b) => a[0] - b[0]).map(([t, value]) => ({ t, value }));
  }
  const points: Point[] = [];
  // Days step by calendar day so a range over a month boundary never drifts.
  const next = (t: number) => (interval === 'day' ? utcDay.offset(new Date(t), 1).getTime() : t + STEP_MS[interval]);
  for (let t = from; t < to && points.length < 10_000; t = next(t)) points.push({ t, value: byT.get(t) ?? 0 });
  return points;
}

/** The y-axis top: a nice number above the data, and at least 1 so an empty chart has an axis. */
export function niceMax(values: readonly number[], ticks = 4): number {
  const top = max(values) ?? 0;
  if (!(top > 0)) return 1;
  return scaleLinear().domain([0, top]).nice(ticks).domain()[1] ?? top;
}

/** The tick interval for the x axis: whole minutes/hours/days/weeks/months, at most `maxTicks`. */
export function timeTickInterval(interval: Interval, spanMs: number, maxTicks: number): TimeInterval {
  const fits = (stepMs: number) => spanMs / stepMs <= Math.max(1, maxTicks);
  const choices: [TimeInterval | null, number][] =
    interval === 'minute'
      ? [
          [utcMinute.every(5), 300_000],
          [utcMinute.every(10), 600_000],
          [utcMinute.every(15), 900_000],
          [utcMinute.every(30), 1_800_000],
          [utcHour, 3_600_000],
        ]
      : interval === 'hour'
        ? [
            [utcHour.every(1), 3_600_000],
            [utcHour.every(3), 10_800_000],
            [utcHour.every(4), 14_400_000],
            [utcHour.every(6), 21_600_000],
            [utcHour.every(12), 43_200_000],
            [utcDay, 86_400_000],
          ]
        : [
            [utcDay, 86_400_000],
            [utcDay.every(2), 172_800_000],
            [utcDay.every(3), 259_200_000],
            [utcWeek, 604_800_000],
            [utcMonth, 2_629_800_000],
            [utcMonth.every(3), 7_889_400_000],
          ];
  for (const [tick, ms] of choices) if (tick && fits(ms)) return tick;
  return interval === 'day' ? (utcMonth.every(6) ?? utcMonth) : utcDay;
}

export interface ChartLayout {
  x: ScaleTime<number, number>;
  y: ScaleLinear<number, number>;
  xTicks: Date[];
  yTicks: number[];
  line: string;
  area: string;
  inner: { left: number; top: number; width: number; height: number };
}

export const MARGIN = { top: 12, right: 16, bottom: 28, left: 48 };

/** Scales, ticks and the line/area paths for `points` in a `width` × `height` box. */
export function layoutChart(points: readonly Point[], interval: Interval, width: number, height: number, margin = MARGIN): ChartLayout {
  const innerWidth = Math.max(10, width - margin.left - margin.right);
  const innerHeight = Math.max(10, height - margin.top - margin.bottom);
  const first = points[0]?.t ?? 0;
  const last = points[points.length - 1]?.t ?? first + STEP_MS[interval];
  const x = scaleUtc()
    .domain([new Date(first), new Date(Math.max(last, first + 1))])
    .range([margin.left, margin.left + innerWidth]);
  const yTop = niceMax(
    points.map((p) => p.value),
    innerHeight < 120 ? 2 : 4,
  );
  const y = scaleLinear()
    .domain([0, yTop])
    .range([margin.top + innerHeight, margin.top]);
  // Roughly one label per 80px keeps them from overlapping at any width.
  const xTicks = x.ticks(timeTickInterval(interval, last - first, Math.floor(innerWidth / 80)));
  const yTicks = y.ticks(innerHeight < 120 ? 2 : 4).filter((v) => Number.isInteger(v));
  const px = (p: Point) => x(new Date(p.t));
  const py = (p: Point) => y(p.value);
  const lineGen = line<Point>().x(px).y(py).curve(curveMonotoneX);
  const areaGen = area<Point>()
    .x(px)
    .y0(margin.top + innerHeight)
    .y1(py)
    .curve(curveMonotoneX);
  return {
    x,
    y,
    xTicks,
    yTicks,
    line: lineGen(points as Point[]) ?? '',
    area: areaGen(points as Point[]) ?? '',
    inner: { left: margin.left, top: margin.top, width: innerWidth, height: innerHeight },
  };
}

/** Index of the point nearest to pixel `px` (for the hover tooltip). */
export function nearestIndex(points: readonly Point[], x: ScaleTime<number, number>, px: number): number {
  if (points.length === 0) return -1;
  const t = x.invert(px).getTime();
  let best = 0;
  for (let i = 1; i < points.length; i++) {
    if (Math.abs((points[i]?.t ?? 0) - t) < Math.abs((points[best]?.t ?? 0) - t)) best = i;
  }
  return best;
}

/** A tiny line (sparkline) through `values` in a `width` × `height` box. */
export function sparklinePath(values: readonly number[], width: number, height: number): { line: string; area: string } {
  const x = scaleLinear()
    .domain([0, Math.max(1, values.length - 1)])
    .range([1, width - 1]);
  const y = scaleLinear()
    .domain([0, niceMax(values, 2)])
    .range([height - 1, 1]);
  const l = line<number>()
    .x((_, i) => x(i))
    .y((v) => y(v));
  const a = area<number>()
    .x((_, i) => x(i))
    .y0(height - 1)
    .y1((v) => y(v));
  return { line: l(values as number[]) ?? '', area: a(values as number[]) ?? '' };
}
