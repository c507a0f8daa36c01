/** Tracks the host's content width with a ResizeObserver (like @lit-labs/observers), so charts fill their box. */
import type { ReactiveController, ReactiveElement } from 'lit';

export class ResizeController implements ReactiveController {
  width: number;
  private observer: ResizeObserver | undefined;

  constructor(
    private readonly host: ReactiveElement,
    fallbackWidth = 640,
  ) {
    this.width = fallbackWidth;
    host.addController(this);
  }

  hostConnected(): void {
    this.observer ??= new ResizeObserver((entries) => {
      const w = Math.floor(entries[entries.length - 1]?.contentRect.width ?? 0);
      // Zero while hidden (display:none): keep the last real width instead of drawing nothing.
      if (w > 0 && w !== this.width) {
        this.width = w;
        this.host.requestUpdate();
      }
    });
    this.observer.observe(this.host);
  }

  hostDisconnected(): void {
    this.observer?.disconnect();
  }
}
