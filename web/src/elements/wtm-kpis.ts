import { css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { getSummary, type Metric, type SummaryResponse } from '../api';
import { FetchController } from '../controllers/fetch-controller';
import { formatChange, formatMetric } from '../format';
import { formatFigure, goalFiguresOf, isEmptySummary, kpisOf } from '../shaping';
import { themeStyles } from '../styles';
import { WtmElement } from '../wtm-element';

/**
 * Key figures of a period with their change against the previous period of the same length.
 *
 * @fires wtm-data - `{detail: SummaryResponse}` after each load
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @fires wtm-metric-select - `{detail: {metric}}` when a tile is chosen (only with `selectable`)
 * @csspart kpi - one tile
 * @csspart goal - a tile of a goal filter (conversions, conversion rate)
 * @csspart label - a tile's name
 * @csspart value - a tile's figure
 * @csspart change - a tile's change vs the previous period
 * @csspart error - the error message
 */
@customElement('wtm-kpis')
export class WtmKpis extends WtmElement {
  static override styles = [
    themeStyles,
    css`
      ul {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(140px, 1fr));
        gap: 12px;
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li > * {
        display: block;
        width: 100%;
        height: 100%;
        text-align: left;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: var(--wtm-radius, 10px);
        padding: 12px 14px;
      }
      button {
        cursor: pointer;
      }
      button[aria-pressed='true'] {
        border-color: var(--_accent);
        box-shadow: inset 0 -3px 0 var(--_accent);
      }
      .label {
        display: block;
        color: var(--_muted);
        font-size: 0.8rem;
        font-weight: 600;
      }
      .value {
        display: block;
        font-size: 1.6rem;
        font-weight: 650;
        font-variant-numeric: tabular-nums;
        margin: 2px 0;
      }
      .change {
        font-size: 0.8rem;
        color: var(--_muted);
      }
      .change.good {
        color: var(--_good);
      }
      .change.bad {
        color: var(--_bad);
      }
      .skeleton {
        height: 78px;
      }
    `,
  ];

  /** Tiles become buttons that fire `wtm-metric-select` (the dashboard links them to the chart). */
  @property({ type: Boolean }) selectable = false;
  /** The selected tile when `selectable`. */
  @property() metric: Metric = 'visitors';

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.period, this.filters] as const,
    enabled: () => this.site !== '',
    task: (_args, opts) => getSummary(this.target, this.view, opts),
    onComplete: (v: SummaryResponse) => this.dispatchEvent(new CustomEvent('wtm-data', { detail: v, bubbles: true, composed: true })),
    onError: (e) => this.reportError(e),
  });

  reload(): void {
    void this.data.run();
  }

  private select(metric: Metric): void {
    this.metric = metric;
    this.dispatchEvent(new CustomEvent('wtm-metric-select', { detail: { metric }, bubbles: true, composed: true }));
  }

  override render() {
    const missing = this.renderMissingSite();
    if (missing !== nothing) return missing;
    const summary = this.data.value;
    if (this.data.status === 'error' && summary === undefined) return this.renderError(this.data.error);
    if (summary === undefined) {
      return html`<ul aria-busy="true" aria-label="Key figures loading">
        ${[1, 2, 3, 4, 5, 6].map(() => html`<li><div class="skeleton"></div></li>`)}
      </ul>`;
    }
    const locale = this.locale;
    const empty = isEmptySummary(summary);
    return html`<ul aria-label="Key figures">
        ${kpisOf(summary).map((k) => {
          const cls = k.change.good === null ? '' : k.change.good ? 'good' : 'bad';
          const arrow = k.change.direction === 'up' ? '↑' : k.change.direction === 'down' ? '↓' : '';
          const body = html`<span class="label" part="label">${k.label}</span>
            <span class="value" part="value" data-metric=${k.metric}>${formatMetric(k.metric, k.value, locale)}</span>
            <span class="change ${cls}" part="change" title="Previous period: ${formatMetric(k.metric, k.previous, locale)}"
              ><span aria-hidden="true">${arrow} </span>${formatChange(k.metric, k.change, locale)}<span class="visually-hidden">
                vs previous period (${formatMetric(k.metric, k.previous, locale)})</span
              ></span
            >`;
          return html`<li>
            ${
              this.selectable
                ? html`<button part="kpi" aria-pressed=${k.metric === this.metric ? 'true' : 'false'} @click=${() => this.select(k.metric)}>
                    ${body}
                  </button>`
                : html`<div part="kpi">${body}</div>`
            }
          </li>`;
        })}
        ${goalFiguresOf(summary).map(
          (g) =>
            html`<li>
              <div part="kpi goal">
                <span class="label" part="label">${g.label}</span>
                <span class="value" part="value" data-metric=${g.key}>${formatFigure(g.format, g.value, locale)}</span>
                <span class="change" part="change"
                  >${g.previous === undefined ? '' : `Previous period: ${formatFigure(g.format, g.previous, locale)}`}</span
                >
              </div>
            </li>`,
        )}
      </ul>
      ${empty ? html`<div class="empty" part="empty">No data for this period</div>` : nothing}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-kpis': WtmKpis;
  }
}
