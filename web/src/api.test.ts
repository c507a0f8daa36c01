import { ApiError, apiUrl, errorForStatus, getBreakdown, getSummary, isBreakdownDimension, periodQuery, type Fetch } from './api';

const target = { api: 'https://stats.example.net/', site: 'example.com' };

describe('apiUrl', () => {
  it('joins base, path and parameters and drops empty ones', () => {
    expect(apiUrl(target, 'stats/breakdown', { dimension: 'page', page: 2, period: undefined })).toBe(
      'https://stats.example.net/api/v1/stats/breakdown?site=example.com&dimension=page&page=2',
    );
  });
  it('resolves an empty api against the page', () => {
    expect(apiUrl({ api: '', site: 'a b' }, 'sites', {}, 'http://host:8080/demo/')).toBe('http://host:8080/api/v1/sites?site=a+b');
  });
});

describe('errorForStatus', () => {
  it.each([
    [401, undefined, false, 'unauthorized', 'This site is private: a token is needed.'],
    [403, undefined, false, 'unauthorized', 'This site is private: a token is needed.'],
    [403, undefined, true, 'forbidden', 'The token was not accepted.'],
    [400, { error: { code: 'invalid_parameter', message: 'period must be one of …' } }, false, 'invalid', 'period must be one of …'],
    [400, 'nonsense', false, 'invalid', 'The API rejected the request.'],
    [500, { error: { code: 'internal', message: 'db down' } }, false, 'server', 'The API answered 500: db down.'],
  ])('%d (%j, token=%s)', (status, body, token, kind, message) => {
    const e = errorForStatus(status, body, token);
    expect(e).toBeInstanceOf(ApiError);
    expect(e.kind).toBe(kind);
    expect(e.message).toBe(message);
  });
});

describe('getJson', () => {
  const signal = new AbortController().signal;

  it('sends the token as a bearer header and returns the body', async () => {
    const calls: [string, RequestInit][] = [];
    const fetchFn: Fetch = async (url, init) => {
      calls.push([url, init]);
      return new Response(JSON.stringify({ site: 'example.com' }), { status: 200 });
    };
    const body = await getSummary({ ...target, token: 's3cret' }, { period: '30d', filters: '' }, { signal }, fetchFn);
    expect(body.site).toBe('example.com');
    expect(calls[0]?.[0]).toBe('https://stats.example.net/api/v1/stats/summary?site=example.com&period=30d');
    expect((calls[0]?.[1].headers as Record<string, string>).authorization).toBe('Bearer s3cret');
  });

  it('sends filters URL-encoded once, and none when there are none', async () => {
    const urls: string[] = [];
    const fetchFn: Fetch = async (url) => {
      urls.push(url);
      return new Response('{}', { status: 200 });
    };
    await getBreakdown(
      target,
      { period: '7d', filters: 'country==DE|FR;page~/a b&c' },
      'props:plan',
      { limit: 5, page: 1 },
      { signal },
      fetchFn,
    );
    await getSummary(target, { period: '7d', filters: '' }, { signal }, fetchFn);
    const sent = new URL(urls[0] ?? '').searchParams;
    expect(sent.get('filters')).toBe('country==DE|FR;page~/a b&c');
    expect(sent.get('dimension')).toBe('props:plan');
    expect(urls[0]).toContain('filters=country%3D%3DDE%7CFR%3Bpage%7E%2Fa+b%26c');
    expect(urls[1]).toBe('https://stats.example.net/api/v1/stats/summary?site=example.com&period=7d');
  });

  it('says which API it could not reach', async () => {
    const fetchFn: Fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    await expect(getSummary(target, { period: '7d', filters: '' }, { signal }, fetchFn)).rejects.toMatchObject({
      kind: 'network',
      message: 'Could not reach the API at https://stats.example.net/.',
    });
  });

  it('passes an abort through instead of reporting a network error', async () => {
    const abort = new AbortController();
    abort.abort();
    const fetchFn: Fetch = async () => {
      throw new DOMException('aborted', 'AbortError');
    };
    await expect(getSummary(target, { period: '7d', filters: '' }, { signal: abort.signal }, fetchFn)).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('turns a 403 with a token into "not accepted"', async () => {
    const fetchFn: Fetch = async () => new Response('{"error":{"code":"forbidden","message":"forbidden"}}', { status: 403 });
    await expect(getSummary({ ...target, token: 'bad' }, { period: '7d', filters: '' }, { signal }, fetchFn)).rejects.toMatchObject({
      kind: 'forbidden',
    });
  });
});

describe('periodQuery', () => {
  it.each([
    ['30d', { period: '30d' }],
    ['', { period: '7d' }],
    ['2026-11-01..2026-11-15', { from: '2026-11-01', to: '2026-11-15' }],
    // Anything else goes to the API as a period, which answers 400 with its own message.
    ['2026-11-01..', { period: '2026-11-01..' }],
  ])('%j → %j', (period, query) => expect(periodQuery(period)).toEqual(query));
});

describe('isBreakdownDimension', () => {
  it.each([
    ['country', true],
    ['goal', true],
    ['props:plan', true],
    ['props:', false],
    ['utm_term', false],
    ['nonsense', false],
  ])('%s → %s', (d, ok) => expect(isBreakdownDimension(d)).toBe(ok));
});
