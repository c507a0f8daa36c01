/**
 * The theme: every colour is a `--wtm-*` custom property with a light default, switched to dark by
 * `prefers-color-scheme` unless `theme="light"`, or forced by `theme="dark"`. Custom properties
 * inherit through shadow roots, so a page can restyle every element from one rule.
 */
import { css } from 'lit';

const light = css`
  --_bg: var(--wtm-bg, #ffffff);
  --_surface: var(--wtm-surface, #f7f8fa);
  --_fg: var(--wtm-fg, #1b1f24);
  --_muted: var(--wtm-muted, #5b6470);
  --_border: var(--wtm-border, #e2e5ea);
  --_accent: var(--wtm-accent, #4f46e5);
  --_accent-soft: var(--wtm-accent-soft, rgba(79, 70, 229, 0.14));
  --_bar: var(--wtm-bar, rgba(79, 70, 229, 0.12));
  --_good: var(--wtm-good, #0f7b3f);
  --_bad: var(--wtm-bad, #b42318);
  --_skeleton: var(--wtm-skeleton, #e9ecf0);
  --_error-bg: var(--wtm-error-bg, #fdecea);
`;

const dark = css`
  --_bg: var(--wtm-bg, #15181d);
  --_surface: var(--wtm-surface, #1d2127);
  --_fg: var(--wtm-fg, #e8eaed);
  --_muted: var(--wtm-muted, #a0a8b3);
  --_border: var(--wtm-border, #2e343c);
  --_accent: var(--wtm-accent, #8b87ff);
  --_accent-soft: var(--wtm-accent-soft, rgba(139, 135, 255, 0.2));
  --_bar: var(--wtm-bar, rgba(139, 135, 255, 0.18));
  --_good: var(--wtm-good, #4cc38a);
  --_bad: var(--wtm-bad, #ff7b72);
  --_skeleton: var(--wtm-skeleton, #262b32);
  --_error-bg: var(--wtm-error-bg, #3a1f1f);
`;

export const themeStyles = css`
  :host {
    ${light}
    display: block;
    box-sizing: border-box;
    color: var(--_fg);
    font-family: var(--wtm-font, system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif);
    font-size: var(--wtm-font-size, 14px);
    line-height: 1.4;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      ${dark}
    }
  }
  :host([theme='dark']) {
    ${dark}
  }
  :host([hidden]) {
    display: none;
  }
  *,
  *::before,
  *::after {
    box-sizing: inherit;
  }
  .card {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: var(--wtm-radius, 10px);
    padding: 16px;
  }
  .title {
    margin: 0 0 12px;
    font-size: 0.8rem;
    font-weight: 600;
    letter-spacing: 0.04em;
    text-transform: uppercase;
    color: var(--_muted);
  }
  .skeleton {
    background: var(--_skeleton);
    border-radius: 6px;
    animation: pulse 1.4s ease-in-out infinite;
  }
  @keyframes pulse {
    50% {
      opacity: 0.55;
    }
  }
  @media (prefers-reduced-motion: reduce) {
    .skeleton {
      animation: none;
    }
  }
  .empty {
    color: var(--_muted);
    padding: 16px 0;
    text-align: center;
  }
  .error {
    color: var(--_bad);
    background: var(--_error-bg);
    border-radius: 6px;
    padding: 10px 12px;
  }
  .visually-hidden {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    clip-path: inset(50%);
    white-space: nowrap;
  }
  button,
  select {
    font: inherit;
    color: inherit;
  }
  :focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
`;

/** The pickers' native select, restyled to the theme. */
export const selectStyles = css`
  :host {
    display: inline-block;
  }
  select {
    background: var(--_bg);
    border: 1px solid var(--_border);
    border-radius: 8px;
    padding: 6px 10px;
  }
`;
