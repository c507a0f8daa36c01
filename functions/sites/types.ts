/** What other functions need to know about a registered site. */
export interface SiteInfo {
  id: number;
  hostname: string;
  /** IANA time zone; days, `today` and daily buckets follow it. */
  timezone: string;
  isPublic: boolean;
}

/** Looks sites up by hostname (cached by the registry; see functions/sites/registry.ts). */
export interface SiteLookup {
  getSite(hostname: string): Promise<SiteInfo | undefined>;
}
