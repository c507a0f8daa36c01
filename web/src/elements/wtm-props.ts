import { css, html, nothing, type PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { getProps, PROPS_PREFIX, type PropsResponse } from '../api';
import { FetchController } from '../controllers/fetch-controller';
import { selectStyles } from '../styles';
import { WtmBreakdown } from './wtm-breakdown';

/**
 * Custom properties: a picker of the keys `/api/v1/props` lists for the period, and the chosen
 * key's values as a breakdown (`dimension=props:<key>`). Picks the most used key until the reader
 * or the `key` attribute chooses one. Keys and values are user data, rendered as text.
 *
 * @fires wtm-data - `{detail: BreakdownResponse}` after each page loads
 * @fires wtm-props - `{detail: PropsResponse}` after the keys load
 * @fires wtm-error - `{detail: {message}}` when loading fails
 * @fires wtm-filter-add - `{detail: {key: 'props:<key>', value}}` when a row is chosen (only with `selectable`)
 * @csspart select - the key picker
 * @csspart row - one value
 * @csspart bar - a row's bar
 * @csspart more - the "more" button
 * @csspart error - the error message
 */
@customElement('wtm-props')
export class WtmProps extends WtmBreakdown {
  static override styles = [
    ...WtmBreakdown.styles,
    selectStyles,
    css`
      :host {
        display: block;
      }
      select {
        max-width: 14em;
        padding: 2px 6px;
        font-size: 0.8rem;
      }
    `,
  ];

  /** The property key shown; empty = the most used key of the period. */
  @property({ attribute: 'key' }) propKey = '';

  private readonly keys = new FetchController(this, {
    args: () => [this.api, this.site, this.token, this.period] as const,
    enabled: () => this.site !== '',
    task: (_args, opts) => getProps(this.target, this.period, opts),
    onComplete: (v: PropsResponse) => this.dispatchEvent(new CustomEvent('wtm-props', { detail: v, bubbles: true, composed: true })),
    onError: (e) => this.reportError(e),
  });

  constructor() {
    super();
    // No key yet: the breakdown stays idle until the keys are known.
    this.dimension = PROPS_PREFIX as typeof this.dimension;
  }

  override reload(): void {
    void this.keys.run();
    super.reload();
  }

  /** The key shown: the chosen one while the period has it, else the most used. */
  private get shownKey(): string | undefined {
    const keys = this.keys.value?.keys ?? [];
    return keys.find((k) => k.key === this.propKey)?.key ?? keys[0]?.key;
  }

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    const key = this.shownKey;
    const dimension = key === undefined ? PROPS_PREFIX : `${PROPS_PREFIX}${key}`;
    if (this.dimension !== dimension) this.dimension = dimension as typeof this.dimension;
  }

  private onPick(e: Event): void {
    this.propKey = (e.target as HTMLSelectElement).value;
    this.dispatchEvent(
      new CustomEvent('wtm-dimension-change', { detail: { dimension: `${PROPS_PREFIX}${this.propKey}` }, bubbles: true, composed: true }),
    );
  }

  protected override renderControls() {
    const keys = this.keys.value?.keys ?? [];
    if (keys.length === 0) return nothing;
    const shown = this.shownKey;
    return html`<select part="select" aria-label="Property" @change=${this.onPick}>
      ${keys.map((k) => html`<option value=${k.key} ?selected=${k.key === shown}>${k.key}</option>`)}
    </select>`;
  }

  protected override renderBody() {
    if (this.keys.status === 'error' && this.keys.value === undefined) return this.renderError(this.keys.error);
    if (this.keys.value !== undefined && this.keys.value.keys.length === 0) {
      return html`<div class="empty" part="empty">No custom properties for this period</div>`;
    }
    return super.renderBody();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-props': WtmProps;
  }
}
