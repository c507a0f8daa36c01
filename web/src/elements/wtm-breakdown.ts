import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { getBreakdown, isBreakdownDimension, type BreakdownDimension, type BreakdownResponse, type BreakdownRow } from '../api';
import { FetchController } from '../controllers/fetch-controller';
import { appendPage, barRows, breakdownColumns, breakdownLabel, displayValue, formatFigure, type Column } from '../shaping';
import { themeStyles } from '../styles';
import { messageOf, WtmElement } from '../wtm-element';

/**
 * The top values of one dimension (pages, sources, countries, …) as bars, with a "more" button
 * that fetches the next page. With `dimensions="entry_page,exit_page"` it shows tabs to switch.
 * `dimension="goal"` lists the site's goals with conversions and conversion rate; `props:<key>` a
 * custom property's values. With `selectable`, each row is a button that asks for a filter.
 *
 * @fires wtm-data - `{detail: BreakdownResponse}` after each page loads
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @fires wtm-dimension-change - `{detail: {dimension}}` when a tab is chosen
 * @fires wtm-filter-add - `{detail: {key, value}}` when a row is chosen (only with `selectable`)
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
      /* One grid for the header and every row (subgrid), so figure columns are as wide as their widest figure. */
      .table {
        display: grid;
        grid-template-columns: minmax(0, 1fr) repeat(var(--_cols), minmax(3em, auto));
        column-gap: 12px;
      }
      .cols,
      ol,
      li,
      .row {
        grid-column: 1 / -1;
        display: grid;
        grid-template-columns: subgrid;
        align-items: center;
      }
      .cols span {
        white-space: nowrap;
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
      .row {
        position: relative;
        padding: 5px 6px;
        min-height: 30px;
      }
      button.row {
        width: 100%;
        background: none;
        border: none;
        border-radius: 4px;
        text-align: left;
        cursor: pointer;
      }
      button.row:hover .value {
        text-decoration: underline;
        text-underline-offset: 2px;
      }
      button.row:focus-visible {
        outline-offset: 0;
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

  /** The dimension shown: a dimension, `goal`, or `props:<key>`. */
  @property({ reflect: true }) dimension: BreakdownDimension = 'page';
  /** Optional comma-separated dimensions offered as tabs, e.g. `page,entry_page,exit_page`. */
  @property() dimensions = '';
  /** Rows per page. */
  @property({ type: Number }) limit = 10;
  /** Heading; defaults to the dimension's name. */
  @property() heading = '';
  /** Rows become buttons that fire `wtm-filter-add` (the dashboard turns them into filter chips). */
  @property({ type: Boolean }) selectable = false;

  @state() private rows: BreakdownRow[] = [];
  @state() private page = 1;
  @state() private hasMore = false;
  @state() private loadingMore = false;
  @state() private moreError: unknown;
  private moreAbort: AbortController | undefined;

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.period, this.filters, this.dimension, this.limit] as const,
    enabled: () => this.site !== '' && isBreakdownDimension(this.dimension),
    task: (_args, opts) => {
      this.moreAbort?.abort();
      return getBreakdown(this.target, this.view, this.dimension, { limit: this.limit, page: 1 }, opts);
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

  reload(): void {
    void this.data.run();
  }

  private get tabs(): BreakdownDimension[] {
    return this.dimensions
      .split(',')
      .map((s) => s.trim())
      .filter(isBreakdownDimension);
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
        this.view,
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

  private choose(d: BreakdownDimension): void {
    if (d === this.dimension) return;
    this.dimension = d;
    this.dispatchEvent(new CustomEvent('wtm-dimension-change', { detail: { dimension: d }, bubbles: true, composed: true }));
  }

  private onTabKey(e: KeyboardEvent, tabs: BreakdownDimension[]): void {
    const i = tabs.indexOf(this.dimension);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0 || i < 0) return;
    e.preventDefault();
    const next = tabs[(i + step + tabs.length) % tabs.length];
    if (next) this.choose(next);
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('[aria-selected="true"]')?.focus());
  }

  private selectRow(value: string): void {
    this.dispatchEvent(new CustomEvent('wtm-filter-add', { detail: { key: this.dimension, value }, bubbles: true, composed: true }));
  }

  /** Extra controls in the header, after the title (the properties panel puts its key picker here). */
  protected renderControls(label: string) {
    const tabs = this.tabs;
    if (tabs.length < 2) return nothing;
    return html`<div role="tablist" aria-label="${label}: show" part="tabs" @keydown=${(e: KeyboardEvent) => this.onTabKey(e, tabs)}>
      ${tabs.map(
        (d) =>
          html`<button
            role="tab"
            type="button"
            aria-selected=${d === this.dimension ? 'true' : 'false'}
            tabindex=${d === this.dimension ? '0' : '-1'}
            @click=${() => this.choose(d)}
          >
            ${breakdownLabel(d)}
          </button>`,
      )}
    </div>`;
  }

  /** Shown instead of rows when there are none. */
  protected emptyMessage(): string {
    return this.dimension === 'goal' ? 'No goal conversions for this period' : 'No data for this period';
  }

  override render() {
    const label = this.heading || breakdownLabel(this.dimension);
    return html`<section class="card" aria-labelledby="heading">
      <header>
        <h3 class="title" id="heading">${label}</h3>
        ${this.renderControls(label)}
      </header>
      ${this.renderMissingSite() !== nothing ? this.renderMissingSite() : this.renderBody()}
    </section>`;
  }

  protected renderBody() {
    if (this.data.status === 'error' && this.data.value === undefined) return this.renderError(this.data.error);
    if (this.data.value === undefined) {
      return html`<div aria-busy="true" aria-label="Loading">
        ${[1, 2, 3, 4, 5].map(() => html`<div class="skeleton row-skeleton"></div>`)}
      </div>`;
    }
    if (this.rows.length === 0) return html`<div class="empty" part="empty">${this.emptyMessage()}</div>`;
    const locale = this.locale;
    const name = breakdownLabel(this.dimension);
    const columns = breakdownColumns(this.dimension, this.rows);
    return html`<div class="table" style="--_cols:${columns.length}">
        <div class="cols" aria-hidden="true">
          <span>${name}</span>${columns.map((c) => html`<span class="num" title=${c.label}>${c.short ?? c.label}</span>`)}
        </div>
        <ol aria-label=${name}>
          ${barRows(this.dimension, this.rows, columns).map((r) => {
            const shown = displayValue(this.dimension, r.value, locale);
            const body = html`<span class="bar" part="bar" style="width:${(r.fraction * 100).toFixed(1)}%"></span>
              <span class="value">${shown}</span>
              ${columns.map((c, i) => this.renderFigure(c, r.figures[i] ?? null, i > 0, locale))}`;
            return this.selectable
              ? html`<li part="row" title=${r.value}>
                  <button class="row" type="button" @click=${() => this.selectRow(r.value)}>
                    ${body}<span class="visually-hidden">, show only this</span>
                  </button>
                </li>`
              : html`<li class="row" part="row" title=${r.value}>${body}</li>`;
          })}
        </ol>
      </div>
      ${this.moreError !== undefined ? html`<div class="error" role="alert" part="error">${messageOf(this.moreError)}</div>` : nothing}
      ${
        this.hasMore
          ? html`<button class="more" part="more" type="button" ?disabled=${this.loadingMore} @click=${() => void this.loadMore()}>
              ${this.loadingMore ? 'Loading…' : 'More'}
            </button>`
          : nothing
      }`;
  }

  private renderFigure(c: Column, value: number | null, secondary: boolean, locale: string) {
    const cls = secondary ? 'num secondary' : 'num';
    if (value === null) return html`<span class=${cls}>–</span>`;
    return html`<span class=${cls}><span class="visually-hidden">${c.label}: </span>${formatFigure(c.format, value, locale)}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-breakdown': WtmBreakdown;
  }
}
