import { css, html, nothing, svg } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { getTimeseries, METRICS, type Interval, type Metric, type TimeseriesResponse } from '../api';
import { fillBuckets, layoutChart, nearestIndex, type Point } from '../chart-math';
import { FetchController } from '../controllers/fetch-controller';
import { ResizeController } from '../controllers/resize-controller';
import { formatBucket, formatMetric } from '../format';
import { METRIC_LABELS } from '../shaping';
import { themeStyles } from '../styles';
import { WtmElement } from '../wtm-element';

/**
 * A line/area chart of one metric over the period, with a metric switch and a tooltip that follows
 * the pointer or the arrow keys. Screen readers get a description and a data table.
 *
 * @fires wtm-data - `{detail: TimeseriesResponse}` after each load
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @fires wtm-metric-change - `{detail: {metric}}` when the metric switch changes
 * @csspart switch - the metric switch
 * @csspart chart - the SVG
 * @csspart tooltip - the hover/keyboard tooltip
 * @csspart error - the error message
 */
@customElement('wtm-timeseries')
export class WtmTimeseries extends WtmElement {
  static override styles = [
    themeStyles,
    css`
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        justify-content: space-between;
        margin-bottom: 8px;
      }
      .title {
        margin: 0;
      }
      .switch {
        display: flex;
        flex-wrap: wrap;
        gap: 4px;
      }
      .switch button {
        background: transparent;
        border: 1px solid var(--_border);
        border-radius: 999px;
        padding: 3px 10px;
        font-size: 0.8rem;
        color: var(--_muted);
        cursor: pointer;
      }
      .switch button[aria-pressed='true'] {
        background: var(--_accent);
        border-color: var(--_accent);
        color: var(--_bg);
      }
      figure {
        position: relative;
        margin: 0;
      }
      svg {
        display: block;
        overflow: visible;
      }
      svg:focus-visible {
        outline: 2px solid var(--_accent);
        border-radius: 4px;
      }
      .grid line {
        stroke: var(--_border);
      }
      .axis text {
        fill: var(--_muted);
        font-size: 11px;
        font-variant-numeric: tabular-nums;
      }
      .area {
        fill: var(--_accent-soft);
      }
      .line {
        fill: none;
        stroke: var(--_accent);
        stroke-width: 2;
      }
      .cursor {
        stroke: var(--_muted);
        stroke-dasharray: 3 3;
      }
      .dot {
        fill: var(--_bg);
        stroke: var(--_accent);
        stroke-width: 2;
      }
      .tooltip {
        position: absolute;
        top: 0;
        pointer-events: none;
        background: var(--_fg);
        color: var(--_bg);
        border-radius: 6px;
        padding: 6px 8px;
        font-size: 0.8rem;
        white-space: nowrap;
        transform: translateX(-50%);
      }
      .tooltip strong {
        display: block;
        font-size: 0.95rem;
      }
      .chart-skeleton {
        height: var(--_h);
      }
      .empty {
        position: absolute;
        inset: 0;
        display: flex;
        align-items: center;
        justify-content: center;
      }
    `,
  ];

  /** The metric drawn. */
  @property({ reflect: true }) metric: Metric = 'visitors';
  /** Chart height in px. */
  @property({ type: Number }) height = 260;
  /** Hide the metric switch (e.g. when KPI tiles choose the metric). */
  @property({ type: Boolean, attribute: 'no-switch' }) noSwitch = false;

  /** Index of the bucket under the pointer or keyboard cursor; -1 = none. */
  @state() private active = -1;

  private readonly size = new ResizeController(this);

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.period, this.filters, this.metric] as const,
    enabled: () => this.site !== '',
    task: (_args, opts) => getTimeseries(this.target, this.view, [this.metric], opts),
    onComplete: (v: TimeseriesResponse) => {
      this.active = -1;
      this.dispatchEvent(new CustomEvent('wtm-data', { detail: v, bubbles: true, composed: true }));
    },
    onError: (e) => this.reportError(e),
  });

  reload(): void {
    void this.data.run();
  }

  private setMetric(metric: Metric): void {
    if (metric === this.metric) return;
    this.metric = metric;
    this.dispatchEvent(new CustomEvent('wtm-metric-change', { detail: { metric }, bubbles: true, composed: true }));
  }

  override render() {
    const missing = this.renderMissingSite();
    return html`<header>
        <h3 class="title" id="title">${METRIC_LABELS[this.metric]}</h3>
        ${
          this.noSwitch
            ? nothing
            : html`<div class="switch" role="group" aria-label="Metric" part="switch">
                ${METRICS.map(
                  (m) =>
                    html`<button type="button" aria-pressed=${m === this.metric ? 'true' : 'false'} @click=${() => this.setMetric(m)}>
                      ${METRIC_LABELS[m]}
                    </button>`,
                )}
              </div>`
        }
      </header>
      ${missing !== nothing ? missing : this.renderBody()}`;
  }

  private renderBody() {
    const doc = this.data.value;
    if (this.data.status === 'error' && doc === undefined) return this.renderError(this.data.error);
    if (doc === undefined) {
      return html`<div class="skeleton chart-skeleton" style="--_h:${this.height}px" aria-busy="true" aria-label="Chart loading"></div>`;
    }
    const points = fillBuckets(doc.buckets, this.metric, doc.interval, doc.range);
    return this.renderChart(points, doc.interval);
  }

  private renderChart(points: Point[], interval: Interval) {
    const width = this.size.width;
    const height = this.height;
    const locale = this.locale;
    const L = layoutChart(points, interval, width, height);
    const empty = points.every((p) => p.value === 0);
    const fmt = (v: number) => formatMetric(this.metric, v, locale, true);
    const activePoint = points[this.active];
    const total = points.reduce((s, p) => s + p.value, 0);
    const peak = points.reduce<Point | undefined>((a, p) => (a === undefined || p.value > a.value ? p : a), undefined);
    const description = empty
      ? 'No data for this period.'
      : `${points.length} ${interval}s. Peak ${fmt(peak?.value ?? 0)} on ${formatBucket(peak?.t ?? 0, interval, locale, true)}.` +
        (this.metric === 'visitors' || this.metric === 'pageviews' || this.metric === 'visits' ? ` Sum ${fmt(total)}.` : '') +
        ' Use the arrow keys to read each value.';
    const bottom = L.inner.top + L.inner.height;
    return html`<figure>
      <svg
        part="chart"
        width=${width}
        height=${height}
        viewBox="0 0 ${width} ${height}"
        role="img"
        tabindex="0"
        aria-labelledby="title"
        aria-describedby="desc"
        @keydown=${(e: KeyboardEvent) => this.onKey(e, points.length)}
        @blur=${() => (this.active = -1)}
      >
        <g class="grid axis">
          ${L.yTicks.map(
            (v) =>
              svg`<line x1=${L.inner.left} x2=${L.inner.left + L.inner.width} y1=${L.y(v)} y2=${L.y(v)}></line>
              <text x=${L.inner.left - 8} y=${L.y(v)} dy="0.32em" text-anchor="end">${fmt(v)}</text>`,
          )}
        </g>
        <g class="axis">
          ${L.xTicks.map(
            (d) => svg`<text x=${L.x(d)} y=${bottom + 18} text-anchor="middle">${formatBucket(d.getTime(), interval, locale)}</text>`,
          )}
        </g>
        ${empty ? nothing : svg`<path class="area" d=${L.area}></path><path class="line" d=${L.line}></path>`}
        ${
          activePoint
            ? svg`<line class="cursor" x1=${L.x(new Date(activePoint.t))} x2=${L.x(new Date(activePoint.t))} y1=${L.inner.top} y2=${bottom}></line>
            <circle class="dot" r="4" cx=${L.x(new Date(activePoint.t))} cy=${L.y(activePoint.value)}></circle>`
            : nothing
        }
        <rect
          x=${L.inner.left}
          y=${L.inner.top}
          width=${L.inner.width}
          height=${L.inner.height}
          fill="transparent"
          @pointermove=${(e: PointerEvent) => {
            const box = (e.currentTarget as SVGRectElement).ownerSVGElement?.getBoundingClientRect();
            if (box) this.active = nearestIndex(points, L.x, e.clientX - box.left);
          }}
          @pointerleave=${() => (this.active = -1)}
        ></rect>
      </svg>
      ${empty ? html`<div class="empty" part="empty">No data for this period</div>` : nothing}
      ${
        activePoint
          ? html`<div class="tooltip" part="tooltip" style="left:${Math.min(Math.max(L.x(new Date(activePoint.t)), 70), width - 70)}px">
              ${formatBucket(activePoint.t, interval, locale, true)}<strong>${formatMetric(this.metric, activePoint.value, locale)}</strong>
            </div>`
          : nothing
      }
      <p id="desc" class="visually-hidden">${description}</p>
      <div class="visually-hidden" aria-live="polite">
        ${
          activePoint
            ? `${formatBucket(activePoint.t, interval, locale, true)}: ${formatMetric(this.metric, activePoint.value, locale)}`
            : ''
        }
      </div>
      <table class="visually-hidden">
        <caption>
          ${METRIC_LABELS[this.metric]} per ${interval}
        </caption>
        <thead>
          <tr>
            <th scope="col">${interval === 'day' ? 'Day' : 'Time'}</th>
            <th scope="col">${METRIC_LABELS[this.metric]}</th>
          </tr>
        </thead>
        <tbody>
          ${points.map(
            (p) =>
              html`<tr>
                <th scope="row">${formatBucket(p.t, interval, locale, true)}</th>
                <td>${formatMetric(this.metric, p.value, locale)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </figure>`;
  }

  private onKey(e: KeyboardEvent, n: number): void {
    if (n === 0) return;
    const moves: Record<string, number> = {
      ArrowRight: Math.min(n - 1, this.active + 1),
      ArrowLeft: this.active < 0 ? n - 1 : Math.max(0, this.active - 1),
      Home: 0,
      End: n - 1,
    };
    const next = moves[e.key];
    if (next === undefined) {
      if (e.key === 'Escape') this.active = -1;
      return;
    }
    e.preventDefault();
    this.active = next;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-timeseries': WtmTimeseries;
  }
}
