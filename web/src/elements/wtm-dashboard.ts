import { css, html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { BreakdownDimension, Metric, SitesResponse } from '../api';
import { isFilterKey, parseFilters, serializeFilters, withFilter } from '../filters';
import { themeStyles } from '../styles';
import { readUrlView, writeUrlView } from '../url-state';
import { WtmElement } from '../wtm-element';
import './wtm-breakdown';
import './wtm-filter-bar';
import './wtm-kpis';
import './wtm-period-picker';
import './wtm-props';
import './wtm-realtime';
import './wtm-site-picker';
import './wtm-timeseries';

/** The breakdown panels: one card per group, tabs within a group. */
const PANELS: { heading: string; dimensions: [BreakdownDimension, ...BreakdownDimension[]] }[] = [
  { heading: 'Pages', dimensions: ['page', 'entry_page', 'exit_page'] },
  { heading: 'Sources', dimensions: ['source', 'channel', 'referrer'] },
  { heading: 'Campaigns', dimensions: ['utm_source', 'utm_medium', 'utm_campaign'] },
  { heading: 'Countries', dimensions: ['country'] },
  { heading: 'Technology', dimensions: ['browser', 'os', 'device'] },
  { heading: 'Custom events', dimensions: ['event'] },
  { heading: 'Goals', dimensions: ['goal'] },
];

/**
 * The whole dashboard: site and period pickers, live visitors, filter chips, key figures, the chart,
 * the breakdown panels, goals and custom properties. Passes its attributes down; when `site` is empty
 * it shows the first site the API lists. Clicking a breakdown row adds a filter; every part reloads
 * with it. With `sync-url` the period and filters live in the address bar (`?period=…&filters=…`):
 * read at start, pushed on every change (so Back undoes a filter), and followed on `popstate`.
 *
 * @fires wtm-period-change - `{detail: {period}}` when the reader picks a period
 * @fires wtm-filters-change - `{detail: {filters}}` when the reader adds, switches or removes a filter
 * @fires wtm-site-change - `{detail: {site}}` when the reader picks a site
 * @fires wtm-error - `{detail: {message}}` from any part that fails to load
 * @csspart header - the top bar
 * @csspart filters - the filter chips
 * @csspart kpis - the key figures
 * @csspart chart - the time series card
 * @csspart panels - the grid of breakdowns
 */
@customElement('wtm-dashboard')
export class WtmDashboard extends WtmElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        background: var(--_surface);
        padding: 16px;
        border-radius: var(--wtm-radius, 10px);
      }
      header {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 10px 16px;
        margin-bottom: 16px;
      }
      h2 {
        margin: 0;
        font-size: 1.15rem;
        overflow-wrap: anywhere;
      }
      .spacer {
        flex: 1;
      }
      .section {
        margin-bottom: 16px;
      }
      .panels {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(min(100%, 360px), 1fr));
        gap: 16px;
      }
    `,
  ];

  /** Metric of the chart (KPI tiles choose it). */
  @property() metric: Metric = 'visitors';

  /** Keep period and filters in the address bar (and follow Back/Forward). */
  @property({ type: Boolean, attribute: 'sync-url' }) syncUrl = false;

  /** Reloads every part now, past the browser cache (the `refresh` timer calls it too). */
  reload(): void {
    for (const el of this.renderRoot.querySelectorAll<WtmElement>('.part')) el.reload();
  }

  private readonly onPopState = () => this.readUrl();

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.syncUrl) {
      this.readUrl();
      window.addEventListener('popstate', this.onPopState);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this.onPopState);
  }

  /** The address bar's period and filters win over the attributes (a shared link shows what was shared). */
  private readUrl(): void {
    const view = readUrlView(location.search);
    if (view.period !== undefined) this.period = view.period;
    this.filters = serializeFilters(parseFilters(view.filters));
  }

  private writeUrl(): void {
    if (!this.syncUrl) return;
    const search = writeUrlView(location.search, { period: this.period, filters: this.filters });
    if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}${location.hash}`);
  }

  private setPeriod(period: string): void {
    this.period = period;
    this.writeUrl();
  }

  private setFilters(filters: string): void {
    if (filters === this.filters) return;
    this.filters = filters;
    this.writeUrl();
    this.dispatchEvent(new CustomEvent('wtm-filters-change', { detail: { filters }, bubbles: true, composed: true }));
  }

  private onFilterAdd(e: CustomEvent<{ key: string; value: string }>): void {
    const { key, value } = e.detail;
    if (!isFilterKey(key)) return;
    this.setFilters(serializeFilters(withFilter(parseFilters(this.filters), key, value)));
  }

  /** How many sites the API lists; with several, the picker names the site and the heading is for screen readers only. */
  @state() private siteCount = 0;

  private onSites(e: CustomEvent<SitesResponse>): void {
    this.siteCount = e.detail.sites.length;
    if (this.site === '' && e.detail.sites[0]) this.site = e.detail.sites[0].site;
  }

  /**
   * Lit has no attribute spread: the shared attributes go to every part here, after each render,
   * which is before the parts' own first update (they update in a later microtask).
   */
  protected override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const shared = { api: this.api, site: this.site, token: this.token, period: this.period, filters: this.filters, theme: this.theme };
    for (const el of this.renderRoot.querySelectorAll<WtmElement>('.part')) Object.assign(el, shared);
  }

  override render() {
    return html`<header part="header">
        <h2 class=${this.siteCount > 1 ? 'visually-hidden' : ''}>${this.site}</h2>
        <wtm-site-picker
          class="part"
          @wtm-sites=${this.onSites}
          @wtm-site-change=${(e: CustomEvent<{ site: string }>) => (this.site = e.detail.site)}
        ></wtm-site-picker>
        <span class="spacer"></span>
        <wtm-realtime class="part"></wtm-realtime>
        <wtm-period-picker
          .period=${this.period}
          .theme=${this.theme}
          @wtm-period-change=${(e: CustomEvent<{ period: string }>) => this.setPeriod(e.detail.period)}
        ></wtm-period-picker>
      </header>
      <wtm-filter-bar
        class="filters"
        part="filters"
        .filters=${this.filters}
        .theme=${this.theme}
        @wtm-filters-change=${(e: CustomEvent<{ filters: string }>) => {
          // The dashboard fires its own wtm-filters-change for the page.
          e.stopPropagation();
          this.setFilters(e.detail.filters);
        }}
      ></wtm-filter-bar>
      <wtm-kpis
        class="section part"
        part="kpis"
        selectable
        .metric=${this.metric}
        @wtm-metric-select=${(e: CustomEvent<{ metric: Metric }>) => (this.metric = e.detail.metric)}
      ></wtm-kpis>
      <wtm-timeseries
        class="section card part"
        part="chart"
        .metric=${this.metric}
        @wtm-metric-change=${(e: CustomEvent<{ metric: Metric }>) => (this.metric = e.detail.metric)}
      ></wtm-timeseries>
      <div class="panels" part="panels" @wtm-filter-add=${this.onFilterAdd}>
        ${PANELS.map(
          (p) =>
            html`<wtm-breakdown
              class="part"
              selectable
              .heading=${p.heading}
              .dimensions=${p.dimensions.join(',')}
              .dimension=${p.dimensions[0]}
            ></wtm-breakdown>`,
        )}
        <wtm-props class="part" selectable heading="Properties"></wtm-props>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-dashboard': WtmDashboard;
  }
}
