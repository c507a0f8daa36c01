import { html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { isOneOf, PERIODS, type Period } from '../api';
import { PERIOD_LABELS } from '../shaping';
import { selectStyles, themeStyles } from '../styles';
import { ThemedElement } from '../wtm-element';

/**
 * Chooses the period. A native select: keyboard and screen readers work as everywhere else.
 *
 * @fires wtm-period-change - `{detail: {period}}` when the reader picks a period
 * @csspart select - the select
 */
@customElement('wtm-period-picker')
export class WtmPeriodPicker extends ThemedElement {
  static override styles = [themeStyles, selectStyles];

  @property({ reflect: true }) period: Period = '7d';

  private onChange(e: Event): void {
    const value = (e.target as HTMLSelectElement).value;
    if (!isOneOf(PERIODS, value)) return;
    this.period = value;
    this.dispatchEvent(new CustomEvent('wtm-period-change', { detail: { period: value }, bubbles: true, composed: true }));
  }

  override render() {
    return html`<select part="select" aria-label="Period" .value=${this.period} @change=${this.onChange}>
      ${PERIODS.map((p) => html`<option value=${p} ?selected=${p === this.period}>${PERIOD_LABELS[p]}</option>`)}
    </select>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-period-picker': WtmPeriodPicker;
  }
}
