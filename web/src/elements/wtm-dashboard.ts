import { css, html, type PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import type { Dimension, Metric, SitesResponse } from '../api';
import { themeStyles } from '../styles';
import { WtmElement } from '../wtm-element';
import './wtm-breakdown';
import './wtm-kpis';
import './wtm-period-picker';
import './wtm-realtime';
import './wtm-site-picker';
import './wtm-timeseries';

/** The breakdown panels: one card per group, tabs within a group. */
const PANELS: { heading: string; dimensions: [Dimension, ...Dimension[]] }[] = [
  { heading: 'Pages', dimensions: ['page', 'entry_page', 'exit_page'] },
  { heading: 'Sources', dimensions: ['source', 'channel', 'referrer'] },
  { heading: 'Campaigns', dimensions: ['utm_source', 'utm_medium', 'utm_campaign'] },
  { heading: 'Countries', dimensions: ['country'] },
  { heading: 'Technology', dimensions: ['browser', 'os', 'device'] },
  { heading: 'Custom events', dimensions: ['event'] },
];

/**
 * The whole dashboard: site and period pickers, live visitors, key figures, the chart and the
 * breakdown panels. Passes its attributes down; when `site` is empty it shows the first site the
 * API lists.
 *
 * @fires wtm-period-change - `{detail: {period}}` when the reader picks a period
 * @fires wtm-site-change - `{detail: {site}}` when the reader picks a site
 * @fires wtm-error - `{detail: {message}}` from any part that fails to load
 * @csspart header - the top bar
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

  protected reload(): void {
    // Each part owns its refresh timer (passed down via `refresh`).
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
    const shared = { api: this.api, site: this.site, token: this.token, period: this.period, theme: this.theme };
    for (const el of this.renderRoot.querySelectorAll<WtmElement>('.part')) Object.assign(el, shared);
    // The realtime part keeps its own 15 s cycle; the others follow the dashboard's `refresh`.
    for (const el of this.renderRoot.querySelectorAll<WtmElement>('.live')) el.refresh = this.refresh;
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
          @wtm-period-change=${(e: CustomEvent<{ period: string }>) => (this.period = e.detail.period)}
        ></wtm-period-picker>
      </header>
      <wtm-kpis
        class="section part live"
        part="kpis"
        selectable
        .metric=${this.metric}
        @wtm-metric-select=${(e: CustomEvent<{ metric: Metric }>) => (this.metric = e.detail.metric)}
      ></wtm-kpis>
      <wtm-timeseries
        class="section card part live"
        part="chart"
        .metric=${this.metric}
        @wtm-metric-change=${(e: CustomEvent<{ metric: Metric }>) => (this.metric = e.detail.metric)}
      ></wtm-timeseries>
      <div class="panels" part="panels">
        ${PANELS.map(
          (p) =>
            html`<wtm-breakdown
              class="part live"
              .heading=${p.heading}
              .dimensions=${p.dimensions.join(',')}
              .dimension=${p.dimensions[0]}
            ></wtm-breakdown>`,
        )}
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-dashboard': WtmDashboard;
  }
}
