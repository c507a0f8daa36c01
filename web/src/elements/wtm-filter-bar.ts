import { css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { parseFilters, serializeFilters, withoutFilter, withToggledOp, type Filter } from '../filters';
import { localeOf } from '../format';
import { chipOf } from '../shaping';
import { themeStyles } from '../styles';
import { ThemedElement } from '../wtm-element';

/**
 * The active filters as chips: "Country is Germany ×". The operator is a button that switches
 * between "is" and "is not"; × removes the chip. Renders nothing without filters. Values are user
 * data and rendered as text.
 *
 * @fires wtm-filters-change - `{detail: {filters}}` (Plausible's syntax, '' = none) after a change
 * @csspart chip - one filter
 * @csspart op - a chip's is / is not switch
 * @csspart remove - a chip's remove button
 * @csspart clear - the "clear all" button (two or more chips)
 */
@customElement('wtm-filter-bar')
export class WtmFilterBar extends ThemedElement {
  static override styles = [
    themeStyles,
    css`
      ul {
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        list-style: none;
        /* Only rendered with chips: no gap above the key figures without filters. */
        margin: 0 0 12px;
        padding: 0;
      }
      .chip {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        max-width: 100%;
        background: var(--_accent-soft);
        border: 1px solid var(--_accent);
        border-radius: 999px;
        padding: 3px 4px 3px 12px;
      }
      .key {
        color: var(--_muted);
        white-space: nowrap;
      }
      .values {
        font-weight: 600;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
        max-width: 40ch;
      }
      button {
        background: none;
        border: none;
        cursor: pointer;
        border-radius: 999px;
      }
      .op {
        padding: 1px 8px;
        border: 1px dashed var(--_accent);
        color: var(--_accent);
        font-weight: 600;
        white-space: nowrap;
      }
      .remove {
        width: 24px;
        height: 24px;
        line-height: 1;
        font-size: 1.1rem;
        color: var(--_muted);
      }
      .remove:hover,
      .op:hover {
        background: var(--_bg);
        color: var(--_fg);
      }
      .clear {
        color: var(--_muted);
        text-decoration: underline;
        padding: 2px 4px;
      }
    `,
  ];

  /** The filters shown, in Plausible's syntax. */
  @property() filters = '';

  private change(next: readonly Filter[]): void {
    const filters = serializeFilters(next);
    this.filters = filters;
    this.dispatchEvent(new CustomEvent('wtm-filters-change', { detail: { filters }, bubbles: true, composed: true }));
  }

  /** After a chip goes, focus moves to the next chip (or the previous one) instead of getting lost. */
  private removeAt(list: readonly Filter[], i: number): void {
    this.change(withoutFilter(list, i));
    void this.updateComplete.then(() => {
      const buttons = this.renderRoot.querySelectorAll<HTMLElement>('.remove');
      buttons[Math.min(i, buttons.length - 1)]?.focus();
    });
  }

  override render() {
    const list = parseFilters(this.filters);
    if (list.length === 0) return nothing;
    const locale = localeOf(this);
    return html`<ul aria-label="Filters">
      ${list.map((f, i) => {
        const chip = chipOf(f, locale);
        const text = `${chip.key} ${chip.op} ${chip.values}`;
        return html`<li class="chip" part="chip" title=${text}>
          <span class="key">${chip.key}</span>
          <button
            class="op"
            part="op"
            type="button"
            aria-label="${text}: switch to ${f.op === '!=' ? 'is' : 'is not'}"
            @click=${() => this.change(withToggledOp(list, i))}
          >
            ${chip.op}
          </button>
          <span class="values">${chip.values}</span>
          <button class="remove" part="remove" type="button" aria-label="Remove filter ${text}" @click=${() => this.removeAt(list, i)}>
            <span aria-hidden="true">×</span>
          </button>
        </li>`;
      })}
      ${
        list.length > 1
          ? html`<li><button class="clear" part="clear" type="button" @click=${() => this.change([])}>Clear all</button></li>`
          : nothing
      }
    </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-filter-bar': WtmFilterBar;
  }
}
