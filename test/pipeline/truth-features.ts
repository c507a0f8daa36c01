/**
 * What a seeded workload contains that the pipeline must get right (so a suite can assert that its run
 * really exercises it): person-days with several visits, visits across a site's midnight, gaps of exactly
 * the 30-minute window inside a visit, engagement reports, custom events with props.
 */
import { VISIT_INACTIVITY_MS } from '../../events/vocabulary';
import type { GroundTruth } from '../../functions/generate/ground-truth';
import { localDate } from '../../functions/lib/time';

export interface TruthFeatures {
  visits: number;
  personDaysWithSeveralVisits: number;
  visitsAcrossMidnight: number;
  exactWindowGaps: number;
  customEventsWithProps: number;
  /** Page-visitor-days with an engagement report. */
  engagedPageVisitorDays: number;
}

export function describeTruth(truth: GroundTruth, sites: readonly { hostname: string; timezone: string }[]): TruthFeatures {
  const zone = new Map(sites.map((s) => [s.hostname, s.timezone]));
  const visits = truth.visits();
  const perVisitor = new Map<string, number>();
  let acrossMidnight = 0;
  let exactGaps = 0;
  let withProps = 0;
  for (const v of visits) {
    perVisitor.set(v.visitor, (perVisitor.get(v.visitor) ?? 0) + 1);
    if (localDate(v.end, zone.get(v.site) ?? 'UTC') !== v.day) acrossMidnight++;
    v.events.forEach((e, i) => {
      if (i > 0 && e.ts - v.events[i - 1]!.ts === VISIT_INACTIVITY_MS) exactGaps++;
      if (e.kind === 'event' && Object.keys(e.props).length > 0) withProps++;
    });
  }
  let engagedPageVisitorDays = 0;
  for (const s of Object.values(truth.toJSON().sites))
    for (const dd of Object.values(s.dayDimensions)) for (const p of Object.values(dd.page)) engagedPageVisitorDays += p.engagedVisitors;
  return {
    visits: visits.length,
    personDaysWithSeveralVisits: [...perVisitor.values()].filter((n) => n > 1).length,
    visitsAcrossMidnight: acrossMidnight,
    exactWindowGaps: exactGaps,
    customEventsWithProps: withProps,
    engagedPageVisitorDays,
  };
}
