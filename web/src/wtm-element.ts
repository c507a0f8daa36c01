/**
 * The attributes every element shares (`api`, `site`, `token`, `period`, `filters`, `theme`, `refresh`) and
 * what follows from them: the API target, the locale, the refresh timer and the error message.
 */
import { html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { property } from 'lit/decorators.js';
import { ApiError, type ApiTarget, type View } from './api';
import { localeOf } from './format';
import { themeStyles } from './styles';

/** Theme attribute and styles, for elements that load nothing themselves (pickers). */
export class ThemedElement extends LitElement {
  static override styles = [themeStyles];

  /** `light` or `dark` forces a theme; unset follows `prefers-color-scheme`. */
  @property({ reflect: true }) theme: 'light' | 'dark' | '' = '';
}

export abstract class WtmElement extends ThemedElement {
  /** Base URL of the stats API; empty = the page's own origin. */
  @property() api = '';
  /** Site hostname, e.g. `example.com`. */
  @property() site = '';
  /** Bearer token for a private site. */
  @property() token = '';
  /** `today`, `24h`, `7d`, `30d`, `90d`, `12mo`, or a range `2026-11-01..2026-11-15` (days inclusive, site-local). */
  @property() period = '7d';
  /**
   * Narrows every figure, in Plausible's v1 syntax: `country==DE;source==Google`, `page~/blog`,
   * `country!=DE|FR` (`;` = and, `|` = or, `==` is, `!=` is not, `~` contains).
   */
  @property() filters = '';
  /** Reload every this many seconds (0 = never). */
  @property({ type: Number }) refresh = 0;

  private timer: ReturnType<typeof setInterval> | undefined;

  protected get target(): ApiTarget {
    return { api: this.api, site: this.site, token: this.token || undefined };
  }

  protected get view(): View {
    return { period: this.period, filters: this.filters };
  }

  protected get locale(): string {
    return localeOf(this);
  }

  /** Loads the data again now, past the browser cache (the refresh timer calls it too). */
  abstract reload(): void;

  override connectedCallback(): void {
    super.connectedCallback();
    this.startTimer();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.stopTimer();
  }

  protected override updated(changed: PropertyValues<this>): void {
    if (changed.has('refresh')) this.startTimer();
  }

  private startTimer(): void {
    this.stopTimer();
    if (this.refresh > 0 && this.isConnected) {
      // A floor of 5 s protects the API from a typo like refresh="1".
      this.timer = setInterval(
        () => {
          if (document.visibilityState !== 'hidden') this.reload();
        },
        Math.max(5, this.refresh) * 1000,
      );
    }
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fires `wtm-error` so a page can log or react; the element shows the message itself. */
  protected reportError(error: unknown): void {
    this.dispatchEvent(new CustomEvent('wtm-error', { detail: { message: messageOf(error) }, bubbles: true, composed: true }));
  }

  protected renderError(error: unknown): TemplateResult {
    return html`<div class="error" role="alert" part="error">${messageOf(error)}</div>`;
  }

  protected renderMissingSite(): TemplateResult | typeof nothing {
    return this.site === '' ? html`<div class="empty">No site selected.</div>` : nothing;
  }
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return `Something went wrong: ${error instanceof Error ? error.message : String(error)}`;
}
