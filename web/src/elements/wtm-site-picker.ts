import { html, nothing } from 'lit';
import { customElement } from 'lit/decorators.js';
import { getSites, type SitesResponse } from '../api';
import { FetchController } from '../controllers/fetch-controller';
import { selectStyles, themeStyles } from '../styles';
import { WtmElement } from '../wtm-element';

/**
 * Chooses among the sites `/api/v1/sites` lists (public ones and those the token opens). Renders
 * nothing while there is only one, so a single-site dashboard has no pointless control.
 *
 * @fires wtm-sites - `{detail: SitesResponse}` after the list loads
 * @fires wtm-site-change - `{detail: {site}}` when the reader picks a site
 * @csspart select - the select
 */
@customElement('wtm-site-picker')
export class WtmSitePicker extends WtmElement {
  static override styles = [themeStyles, selectStyles];

  private readonly data = new FetchController(this, {
    args: () => [this.api, this.token] as const,
    task: (_args, opts) => getSites({ api: this.api, site: '', token: this.token || undefined }, opts),
    onComplete: (v: SitesResponse) => this.dispatchEvent(new CustomEvent('wtm-sites', { detail: v, bubbles: true, composed: true })),
    onError: (e) => this.reportError(e),
  });

  reload(): void {
    void this.data.run();
  }

  private onChange(e: Event): void {
    this.site = (e.target as HTMLSelectElement).value;
    this.dispatchEvent(new CustomEvent('wtm-site-change', { detail: { site: this.site }, bubbles: true, composed: true }));
  }

  override render() {
    const sites = this.data.value?.sites ?? [];
    if (sites.length < 2) return nothing;
    return html`<select part="select" aria-label="Site" .value=${this.site} @change=${this.onChange}>
      ${sites.map((s) => html`<option value=${s.site} ?selected=${s.site === this.site}>${s.site}</option>`)}
    </select>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'wtm-site-picker': WtmSitePicker;
  }
}
