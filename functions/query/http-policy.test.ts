import { createHash } from 'node:crypto';
import { contentSecurityPolicy, staticFileHeaders } from './http-policy';

const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

describe('contentSecurityPolicy', () => {
  it('allows the page its own inline scripts and styles by hash, and only our origin otherwise', () => {
    const page = `<style>body{margin:0}</style><script type="module">import '/wtm.js';</script><script src="/x.js"></script>`;
    const csp = contentSecurityPolicy(page);
    expect(csp.split('; ')).toEqual([
      "default-src 'none'",
      `script-src 'self' ${hash("import '/wtm.js';")}`,
      `style-src 'self' ${hash('body{margin:0}')}`,
      "style-src-attr 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self'",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "object-src 'none'",
    ]);
  });
  it('a page without inline code allows none', () => {
    expect(contentSecurityPolicy('<p>hi</p>')).toContain("script-src 'self'; style-src 'self';");
  });
  it('pages get a CSP, every static file no-referrer', () => {
    expect(Object.keys(staticFileHeaders('text/html; charset=utf-8', Buffer.from('<p></p>')))).toEqual([
      'Referrer-Policy',
      'Content-Security-Policy',
    ]);
    expect(staticFileHeaders('text/javascript; charset=utf-8', Buffer.from(''))).toEqual({ 'Referrer-Policy': 'no-referrer' });
  });
});
