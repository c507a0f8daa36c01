import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { DIMENSIONS, getBreakdown, isOneOf, type BreakdownResponse, type BreakdownRow, type Dimension } from '../api';
import { FetchController } from '../controllers/fetch-controller';
import { formatNumber } from '../format';
import { appendPage, barRows, DIMENSION_LABELS, displayValue, rankMetric, secondaryLabel } from '../shaping';
import { themeStyles } from '../styles';
import { messageOf, WtmElement } from '../wtm-element';

/**
 * The top values of one dimension (pages, sources, countries, …) as bars, with a "more" button
 * that fetches the next page. With `dimensions="entry_page,exit_page"` it shows tabs to switch.
 *
 * @fires wtm-data - `{detail: BreakdownResponse}` after each page loads
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @fires wtm-dimension-change - `{detail: {dimension}}` when a tab is chosen
 * @csspart tabs - the dimension tabs
 * @csspart row - one value
 * @csspart bar - a row's bar
 * @csspart more - the "more" button
 * @csspart error - the error message
 */
@customElement('wtm-breakdown')
export class WtmBreakdown extends WtmElement {
  static override styles = [
    themeStyles,
    css`
      .card {
        height: 100%;
      }
      header {
        display: flex;
        flex-wrap: wrap;
        gap: 4px 12px;
        align-items: baseline;
        margin-bottom: 10px;
      }
      .title {
        margin: 0;
        flex: 1;
      }
      [role='tablist'] {
        display: flex;
        flex-wrap: wrap;
        gap: 2px 10px;
      }
      [role='tab'] {
        background: none;
        border: none;
        padding: 2px 0;
        font-size: 0.8rem;
        color: var(--_muted);
        cursor: pointer;
        border-bottom: 2px solid transparent;
      }
      [role='tab'][aria-selected='true'] {
        color: var(--_fg);
        border-bottom-color: var(--_accent);
      }
      .cols,
      li {
        display: grid;
        grid-template-columns: minmax(0, 1fr) 4.5em 4.5em;
        gap: 8px;
        align-items: center;
      }
      .cols {
        font-size: 0.75rem;
        color: var(--_muted);
        padding: 0 6px 4px;
      }
      .num {
        text-align: right;
        font-variant-numeric: tabular-nums;
      }
      ol {
        list-style: none;
        margin: 0;
        padding: 0;
      }
      li {
        position: relative;
        padding: 5px 6px;
        min-height: 30px;
      }
      .bar {
        position: absolute;
        inset: 2px auto 2px 0;
        background: var(--_bar);
        border-radius: 4px;
      }
      .value {
        position: relative;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .secondary {
        color: var(--_muted);
      }
      .more {
        margin-top: 8px;
        background: none;
        border: 1px solid var(--_border);
        border-radius: 6px;
        padding: 4px 12px;
        cursor: pointer;
      }
      .more[disabled] {
        opacity: 0.6;
        cursor: progress;
      }
      .row-skeleton {
        height: 24px;
        margin: 6px 0;
      }
      .error {
        margin-top: 8px;
      }
    `,
  ];

  /** The dimension shown. */
  @property({ reflect: true }) dimension: Dimension = 'page';
  /** Optional comma-separated dimensions offered as tabs, e.g. `page,entry_page,exit_page`. */
  @property() dimensions = '';
  /** Rows per page. */
  @property({ type: Number }) limit = 10;
  /** Heading; defaults to the dimension's name. */
  @property() heading = '';

  @state() private rows: BreakdownRow[] = [];
  @state() private page = 1;
  @state() private hasMore = false;
  @state() private loadingMore = false;
  @state() private moreError: unknown;
  private moreAbort: AbortController | undefined;

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.period, this.dimension, this.limit] as const,
    enabled: () => this.site !== '',
    task: (_args, opts) => {
      this.moreAbort?.abort();
      return getBreakdown(this.target, this.period, this.dimension, { limit: this.limit, page: 1 }, opts);
    },
    onComplete: (v: BreakdownResponse) => {
      // A refresh starts again at page 1: later pages may have shifted meanwhile.
      this.rows = v.results;
      this.page = 1;
      this.hasMore = v.has_more;
      this.moreError = undefined;
      this.loadingMore = false;
      this.dispatchEvent(new CustomEvent('wtm-data', { detail: v, bubbles: true, composed: true }));
    },
    onError: (e) => this.reportError(e),
  });

  protected reload(): void {
    void this.data.run();
  }

  private get tabs(): Dimension[] {
    return this.dimensions
      .split(',')
      .map((s) => s.trim())
      .filter((s): s is Dimension => isOneOf(DIMENSIONS, s));
  }

  private async loadMore(): Promise<void> {
    this.moreAbort?.abort();
    const abort = new AbortController();
    this.moreAbort = abort;
    this.loadingMore = true;
    this.moreError = undefined;
    try {
      const next = await getBreakdown(
        this.target,
        this.period,
        this.dimension,
        { limit: this.limit, page: this.page + 1 },
        { signal: abort.signal },
      );
      if (abort.signal.aborted) return;
      this.rows = appendPage(this.rows, next.results);
      this.page = next.page;
      this.hasMore = next.has_more;
      this.dispatchEvent(new CustomEvent('wtm-data', { detail: next, bubbles: true, composed: true }));
    } catch (e) {
      if (abort.signal.aborted) return;
      this.moreError = e;
      this.reportError(e);
    }
    this.loadingMore = false;
  }

  private choose(d: Dimension): void {
    if (d === this.dimension) return;
    this.dimension = d;
    this.dispatchEvent(new CustomEvent('wtm-dimension-change', { detail: { dimension: d }, bubbles: true, composed: true }));
  }

  private onTabKey(e: KeyboardEvent, tabs: Dimension[]): void {
    const i = tabs.indexOf(this.dimension);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0 || i < 0) return;
    e.preventDefault();
    const next = tabs[(i + step + tabs.length) % tabs.length];
    if (next) this.choose(next);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-selected="true"]')?.focus());
  }

  override render() {
    const tabs = this.tabs;
    const label = this.heading || DIMENSION_LABELS[this.dimension];
    return html`<section class="card" aria-labelledby="heading">
      <header>
        <h3 class="title" id="heading">${label}</h3>
        ${
          tabs.length > 1
            ? html`<div role="tablist" aria-label="${label}: show" part="tabs" @keydown=${(e: KeyboardEvent) => this.onTabKey(e, tabs)}>
                ${tabs.map(
                  (d) =>
                    html`<button
                      role="tab"
                      type="button"
                      aria-selected=${d === this.dimension ? 'true' : 'false'}
                      tabindex=${d === this.dimension ? '0' : '-1'}
                      @click=${() => this.choose(d)}
                    >
                      ${DIMENSION_LABELS[d]}
                    </button>`,
                )}
              </div>`
            : nothing
        }
      </header>
      ${this.renderMissingSite() !== nothing ? this.renderMissingSite() : this.renderBody()}
    </section>`;
  }

  private renderBody() {
    if (this.data.status === 'error' && this.data.value === undefined) return this.renderError(this.data.error);
    if (this.data.value === undefined) {
      return html`<div aria-busy="true" aria-label="Loading">
        ${[1, 2, 3, 4, 5].map(() => html`<div class="skeleton row-skeleton"></div>`)}
      </div>`;
    }
    if (this.rows.length === 0) return html`<div class="empty" part="empty">No data for this period</div>`;
    const locale = this.locale;
    const metricLabel = rankMetric(this.dimension) === 'events' ? 'Events' : 'Visitors';
    return html`<div class="cols" aria-hidden="true">
        <span>${DIMENSION_LABELS[this.dimension]}</span><span class="num">${metricLabel}</span
        ><span class="num">${secondaryLabel(this.dimension)}</span>
      </div>
      <ol aria-label=${DIMENSION_LABELS[this.dimension]}>
        ${barRows(this.dimension, this.rows).map((r) => {
          const shown = displayValue(this.dimension, r.value, locale);
          return html`<li part="row" title=${r.value}>
            <span class="bar" part="bar" style="width:${(r.fraction * 100).toFixed(1)}%"></span>
            <span class="value">${shown}</span>
            <span class="num" aria-label="${metricLabel}: ${formatNumber(r.count, locale)}">${formatNumber(r.count, locale, true)}</span>
            <span class="num secondary"
              >${
                r.secondary === null
                  ? '–'
                  : html`<span class="visually-hidden">${secondaryLabel(this.dimension)}: </span>${formatNumber(r.secondary, locale, true)}`
              }</span
            >
          </li>`;
        })}
      </ol>
      ${this.moreError !== undefined ? html`<div class="error" role="alert" part="error">${messageOf(this.moreError)}</div>` : nothing}
      ${
        this.hasMore
          ? html`<button class="more" part="more" type="button" ?disabled=${this.loadingMore} @click=${() => void this.loadMore()}>
              ${this.loadingMore ? 'Loading…' : 'More'}
            </button>`
          : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-breakdown': WtmBreakdown;
  }
}
