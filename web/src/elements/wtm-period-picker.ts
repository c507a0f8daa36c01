import { css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { customRange, isOneOf, PERIODS } from '../api';
import { PERIOD_LABELS } from '../shaping';
import { selectStyles, themeStyles } from '../styles';
import { ThemedElement } from '../wtm-element';

const CUSTOM = 'custom';

/**
 * Chooses the period: a named one, or "Custom range" with two date fields, which yields
 * `period="YYYY-MM-DD..YYYY-MM-DD"`. Native controls: keyboard and screen readers work as everywhere.
 *
 * @fires wtm-period-change - `{detail: {period}}` when the reader picks a period or completes a range
 * @csspart select - the select
 * @csspart range - the two date fields of a custom range
 */
@customElement('wtm-period-picker')
export class WtmPeriodPicker extends ThemedElement {
  static override styles = [
    themeStyles,
    selectStyles,
    css`
      .range {
        display: inline-flex;
        flex-wrap: wrap;
        gap: 6px;
        margin-left: 6px;
        align-items: center;
      }
      input {
        font: inherit;
        color: inherit;
        background: var(--_bg);
        border: 1px solid var(--_border);
        border-radius: 8px;
        padding: 5px 8px;
        color-scheme: light dark;
      }
    `,
  ];

  /** A named period (`7d`, …) or a range `2026-11-01..2026-11-15`. */
  @property({ reflect: true }) period = '7d';

  /** "Custom range" chosen but not yet complete: the fields show, nothing is fired. */
  @state() private editing = false;

  private emit(period: string): void {
    this.period = period;
    this.dispatchEvent(new CustomEvent('wtm-period-change', { detail: { period }, bubbles: true, composed: true }));
  }

  private onSelect(e: Event): void {
    const value = (e.target as HTMLSelectElement).value;
    if (value === CUSTOM) {
      this.editing = true;
      return;
    }
    if (!isOneOf(PERIODS, value)) return;
    this.editing = false;
    this.emit(value);
  }

  private onDate(): void {
    const [from, to] = [...this.renderRoot.querySelectorAll('input')].map((i) => i.value);
    // ISO dates compare as strings; an incomplete or reversed range waits for the next edit.
    if (from && to && from <= to) this.emit(`${from}..${to}`);
  }

  override render() {
    const range = customRange(this.period);
    const custom = this.editing || range !== undefined;
    return html`<select part="select" aria-label="Period" @change=${this.onSelect}>
        ${PERIODS.map((p) => html`<option value=${p} ?selected=${!custom && p === this.period}>${PERIOD_LABELS[p]}</option>`)}
        <option value=${CUSTOM} ?selected=${custom}>Custom range…</option>
      </select>
      ${
        custom
          ? html`<span class="range" part="range">
              <input type="date" aria-label="From" .value=${range?.from ?? ''} @change=${this.onDate} />
              <span aria-hidden="true">–</span>
              <input type="date" aria-label="To" .value=${range?.to ?? ''} @change=${this.onDate} />
            </span>`
          : nothing
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-period-picker': WtmPeriodPicker;
  }
}
