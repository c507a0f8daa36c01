import { css, html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { getRealtime, type RealtimeResponse } from '../api';
import { sparklinePath } from '../chart-math';
import { FetchController } from '../controllers/fetch-controller';
import { formatNumber } from '../format';
import { themeStyles } from '../styles';
import { WtmElement } from '../wtm-element';

/**
 * Visitors of the last 5 minutes and a sparkline of pageviews per minute over the last 30 minutes.
 * Refreshes itself every 15 s unless `refresh` says otherwise. Ignores `period`.
 *
 * @fires wtm-data - `{detail: RealtimeResponse}` after each load
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @csspart value - the visitor count
 * @csspart sparkline - the SVG sparkline
 * @csspart error - the error message
 */
@customElement('wtm-realtime')
export class WtmRealtime extends WtmElement {
  static override styles = [
    themeStyles,
    css`
      :host {
        display: inline-block;
      }
      .wrap {
        display: flex;
        align-items: center;
        gap: 10px;
      }
      .dot {
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: var(--_good);
        box-shadow: 0 0 0 3px color-mix(in srgb, var(--_good) 25%, transparent);
      }
      .value {
        font-weight: 650;
        font-variant-numeric: tabular-nums;
      }
      .label {
        color: var(--_muted);
      }
      .spark-line {
        fill: none;
        stroke: var(--_accent);
        stroke-width: 1.5;
      }
      .spark-area {
        fill: var(--_accent-soft);
      }
      .skeleton {
        width: 180px;
        height: 22px;
      }
    `,
  ];

  constructor() {
    super();
    this.refresh = 15;
  }

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.filters] as const,
    enabled: () => this.site !== '',
    task: (_args, opts) => getRealtime(this.target, this.filters, opts),
    onComplete: (v: RealtimeResponse) => this.dispatchEvent(new CustomEvent('wtm-data', { detail: v, bubbles: true, composed: true })),
    onError: (e) => this.reportError(e),
  });

  reload(): void {
    void this.data.run();
  }

  override render() {
    const missing = this.renderMissingSite();
    if (missing !== nothing) return missing;
    const doc = this.data.value;
    if (this.data.status === 'error' && doc === undefined) return this.renderError(this.data.error);
    if (doc === undefined) return html`<div class="skeleton" aria-busy="true" aria-label="Current visitors loading"></div>`;
    const values = doc.pageviews_per_minute.map((p) => p.pageviews);
    const spark = sparklinePath(values, 80, 22);
    const locale = this.locale;
    const total = values.reduce((a, b) => a + b, 0);
    return html`<div class="wrap" role="status" aria-live="polite">
      <span class="dot" aria-hidden="true"></span>
      <span
        ><span class="value" part="value">${formatNumber(doc.visitors, locale)}</span>
        <span class="label">${doc.visitors === 1 ? 'current visitor' : 'current visitors'}</span></span
      >
      <svg part="sparkline" width="80" height="22" role="img" aria-label="${formatNumber(total, locale)} pageviews in the last 30 minutes">
        <path class="spark-area" d=${spark.area}></path>
        <path class="spark-line" d=${spark.line}></path>
      </svg>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-realtime': WtmRealtime;
  }
}
