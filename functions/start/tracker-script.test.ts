import { createTrackerScript } from './tracker-script';

describe('createTrackerScript', () => {
  const t = createTrackerScript('/nonexistent/script.js');
  it.each([
    ['/js/script.js', true],
    ['/js/script.hash.js', true],
    ['/js/script.hash.outbound-links.file-downloads.js', true],
    ['/js/script.JS', false],
    ['/js/../script.js', false],
    ['/js/script..js', false],
    ['/script.js', false],
    ['/js/other.js', false],
  ])('%s → %s', (path, want) => {
    expect(t.matches(path)).toBe(want);
  });
});
