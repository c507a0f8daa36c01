import { decideCollect, firstLanguage, MAX_DOMAINS, userAgentProblem, type ClientInfo, type CollectDecision } from './core';
import { CollectError } from './errors';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';
const client = { ip: '203.0.113.7', userAgent: UA };
let seq = 0;
const deps = { now: () => new Date('2026-03-01T12:00:00.000Z'), newId: () => `id-${++seq}` };

function accepted(body: unknown, c: ClientInfo = client): Extract<CollectDecision, { kind: 'accept' }>['events'] {
  const d = decideCollect(body, c, deps);
  if (d.kind !== 'accept') throw new Error(`expected accept, got ${d.kind}`);
  return d.events;
}
function refused(body: unknown): CollectError {
  try {
    decideCollect(body, client, deps);
  } catch (e) {
    if (e instanceof CollectError) return e;
    throw e;
  }
  throw new Error('expected a CollectError');
}

describe('decideCollect: the Plausible Events API body', () => {
  it.each([
    ['short names', { n: 'pageview', v: 36, u: 'https://blog.example/app/home', d: 'blog.example', r: null }],
    ['long names', { name: 'pageview', url: 'https://blog.example/app/home', domain: 'blog.example', referrer: null }],
  ])('a pageview with %s', (_label, body) => {
    const [e, more] = accepted(body);
    expect(more).toBeUndefined();
    expect(e?.data).toEqual({
      kind: 'pageview',
      site: 'blog.example',
      url: 'https://blog.example/app/home',
      timestamp: '2026-03-01T12:00:00.000Z',
      ip: '203.0.113.7',
      userAgent: UA,
    });
    expect(e?.attributes).toMatchObject({
      source: '/wtm/tracker',
      type: 'io.webtrafficmonitor.traffic.raw.v1',
      time: '2026-03-01T12:00:00.000Z',
    });
    expect(e?.attributes.partitionkey).toMatch(/^[A-Za-z0-9_-]{16}$/);
  });

  it('the real captured payloads of Plausible tracker 0.4.6', () => {
    const bodies = [
      '{"n":"engagement","sd":100,"d":"blog.example","u":"https://blog.example/app/home","e":524,"v":36}',
      '{"n":"signup","v":36,"u":"https://blog.example/app/pricing","d":"blog.example","r":null,"p":{"tier":"pro"}}',
      '{"n":"Outbound Link: Click","v":36,"u":"https://blog.example/app/pricing","d":"blog.example","r":null,"p":{"url":"https://example.org/elsewhere"}}',
    ].map((b) => accepted(JSON.parse(b))[0]?.data);
    expect(bodies[0]).toMatchObject({ kind: 'engagement', scrollDepth: 100, engagementMs: 524 });
    expect(bodies[1]).toMatchObject({ kind: 'event', name: 'signup', props: { tier: 'pro' } });
    expect(bodies[2]).toMatchObject({ kind: 'event', name: 'Outbound Link: Click', props: { url: 'https://example.org/elsewhere' } });
  });

  it('short names win over long ones, unknown fields are ignored', () => {
    const [e] = accepted({ n: 'pageview', name: 'signup', u: 'https://a.example/x', url: 'https://a.example/y', d: 'a.example', zz: 1 });
    expect(e?.data).toMatchObject({ kind: 'pageview', url: 'https://a.example/x' });
  });

  it('one raw event per domain, lower-cased and de-duplicated, each with its own id', () => {
    const events = accepted({ n: 'pageview', u: 'https://a.example/', d: ' A.example ,b.example,a.example' });
    expect(events.map((e) => e.data.site)).toEqual(['a.example', 'b.example']);
    expect(new Set(events.map((e) => e.attributes.id)).size).toBe(2);
  });

  it('revenue, interactive, hash mode, screen width and language', () => {
    const [e] = accepted(
      { n: 'purchase', u: 'https://a.example/#/cart', d: 'a.example', $: { amount: 12.5, currency: 'eur' }, i: false, h: 1, w: 1280 },
      { ...client, language: 'de-CH' },
    );
    expect(e?.data).toMatchObject({
      kind: 'event',
      revenue: { amount: '12.5', currency: 'EUR' },
      interactive: false,
      hashMode: true,
      screenWidth: 1280,
      language: 'de-CH',
    });
  });

  it('props: a JSON string is accepted, null and empty values dropped, numbers and booleans kept', () => {
    const [a] = accepted({ n: 'x', u: 'https://a.example/', d: 'a.example', p: '{"plan":"pro","n":2}' });
    expect(a?.data).toMatchObject({ props: { plan: 'pro', n: 2 } });
    const [b] = accepted({ n: 'x', u: 'https://a.example/', d: 'a.example', p: { a: null, b: '', c: true } });
    expect(b?.data).toMatchObject({ props: { c: true } });
    const [c] = accepted({ n: 'x', u: 'https://a.example/', d: 'a.example', p: { a: null } });
    expect(c?.data).not.toHaveProperty('props');
  });

  it('engagement values are clamped; props and revenue of a pageview are ignored', () => {
    const [e] = accepted({ n: 'engagement', u: 'https://a.example/', d: 'a.example', sd: 140.4, e: -5 });
    expect(e?.data).toMatchObject({ scrollDepth: 100, engagementMs: 0 });
    const [p] = accepted({ n: 'pageview', u: 'https://a.example/', d: 'a.example', p: { a: 'b' }, $: { amount: 1, currency: 'EUR' } });
    expect(p?.data).not.toHaveProperty('props');
    expect(p?.data).not.toHaveProperty('revenue');
  });

  it('an unusable referrer is dropped, the event kept', () => {
    for (const r of ['android-app://com.google.android.gm', 'not a url', `https://x.example/${'a'.repeat(3000)}`]) {
      const [e] = accepted({ n: 'pageview', u: 'https://a.example/', d: 'a.example', r });
      expect(e?.data).not.toHaveProperty('referrer');
    }
    const [ok] = accepted({ n: 'pageview', u: 'https://a.example/', d: 'a.example', r: 'https://www.google.com/' });
    expect(ok?.data).toMatchObject({ referrer: 'https://www.google.com/' });
  });

  it.each<[string, unknown, string]>([
    ['an array', [{ n: 'pageview' }], 'body'],
    ['a string', 'pageview', 'body'],
    ['null', null, 'body'],
    ['no name', { u: 'https://a.example/', d: 'a.example' }, 'name'],
    ['an empty name', { n: ' ', u: 'https://a.example/', d: 'a.example' }, 'name'],
    ['a numeric name', { n: 5, u: 'https://a.example/', d: 'a.example' }, 'name'],
    ['no url', { n: 'pageview', d: 'a.example' }, 'url'],
    ['a relative url', { n: 'pageview', u: '/home', d: 'a.example' }, 'url'],
    ['a javascript: url', { n: 'pageview', u: 'javascript:alert(1)', d: 'a.example' }, 'url'],
    ['a url with control characters', { n: 'pageview', u: 'https://a.example/\u0000x', d: 'a.example' }, 'url'],
    ['a too long url', { n: 'pageview', u: `https://a.example/${'a'.repeat(2100)}`, d: 'a.example' }, 'url'],
    ['no domain', { n: 'pageview', u: 'https://a.example/' }, 'domain'],
    ['a domain that is not a hostname', { n: 'pageview', u: 'https://a.example/', d: 'a b.example' }, 'site'],
    ['only commas as domain', { n: 'pageview', u: 'https://a.example/', d: ',,' }, 'domain'],
    [
      'too many domains',
      { n: 'pageview', u: 'https://a.example/', d: Array.from({ length: MAX_DOMAINS + 1 }, (_, i) => `s${i}.example`).join(',') },
      'domain',
    ],
    ['a too long event name', { n: 'x'.repeat(65), u: 'https://a.example/', d: 'a.example' }, 'name'],
    ['nested props', { n: 'x', u: 'https://a.example/', d: 'a.example', p: { a: { b: 1 } } }, 'props.a'],
    ['array props', { n: 'x', u: 'https://a.example/', d: 'a.example', p: [1, 2] }, 'props'],
    ['props as broken JSON text', { n: 'x', u: 'https://a.example/', d: 'a.example', p: '{oops' }, 'props'],
    [
      '31 props',
      { n: 'x', u: 'https://a.example/', d: 'a.example', p: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, 'v'])) },
      'props',
    ],
    ['a too long prop value', { n: 'x', u: 'https://a.example/', d: 'a.example', p: { k: 'v'.repeat(2001) } }, 'props.k'],
    ['a __proto__ prop', JSON.parse('{"n":"x","u":"https://a.example/","d":"a.example","p":{"__proto__":"x"}}'), 'props'],
    ['a bad revenue amount', { n: 'x', u: 'https://a.example/', d: 'a.example', $: { amount: '1,5', currency: 'EUR' } }, 'revenue.amount'],
    ['a revenue without currency', { n: 'x', u: 'https://a.example/', d: 'a.example', $: { amount: 1 } }, 'revenue.currency'],
    ['a non-boolean interactive', { n: 'x', u: 'https://a.example/', d: 'a.example', i: 'no' }, 'interactive'],
    ['a non-numeric scroll depth', { n: 'engagement', u: 'https://a.example/', d: 'a.example', sd: '50' }, 'sd'],
    ['a referrer object', { n: 'pageview', u: 'https://a.example/', d: 'a.example', r: {} }, 'referrer'],
  ])('refuses %s (400, problem at %s)', (_label, body, path) => {
    const e = refused(body);
    expect(e.status).toBe(400);
    expect(e.code).toBe('not_an_event');
    expect(e.problems.map((p) => p.path)).toContain(path);
  });

  it('drops (not refuses) an event without a usable user agent', () => {
    const body = { n: 'pageview', u: 'https://a.example/', d: 'a.example,b.example' };
    expect(decideCollect(body, { ip: '203.0.113.7', userAgent: undefined }, deps)).toEqual({
      kind: 'drop',
      reason: 'no_user_agent',
      events: 2,
    });
    expect(decideCollect(body, { ip: '203.0.113.7', userAgent: 'a\tb' }, deps)).toMatchObject({ reason: 'invalid_user_agent' });
    expect(decideCollect(body, { ip: '203.0.113.7', userAgent: 'x'.repeat(1025) }, deps)).toMatchObject({ reason: 'invalid_user_agent' });
    // a body that is not an event is still a 400 without a user agent
    expect(() => decideCollect({ n: 'pageview' }, { ip: '203.0.113.7', userAgent: undefined }, deps)).toThrow(CollectError);
  });

  it('userAgentProblem and firstLanguage', () => {
    expect(userAgentProblem(UA)).toBeUndefined();
    expect(userAgentProblem('  ')).toBe('no_user_agent');
    expect(firstLanguage('de-CH,de;q=0.9,en;q=0.8')).toBe('de-CH');
    expect(firstLanguage('en;q=0.5')).toBe('en');
    expect(firstLanguage('*')).toBeUndefined();
    expect(firstLanguage(undefined)).toBeUndefined();
  });
});
