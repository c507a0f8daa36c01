/**
 * The web bundle (`web/dist/`) and the demo pages (`web/demo/`). Only single-segment names made of
 * [A-Za-z0-9._-] with a known extension are looked up, and the resolved real path must stay inside
 * its folder, so no request can walk out of them (no `..`, no percent-decoding, no symlink escape).
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { staticFileHeaders } from './http-policy';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** The bundle names the docs promise; asking for them before `npm run build` gets a helpful 404. */
export const BUNDLE_NAMES: readonly string[] = ['wtm.js', 'wtm.min.js'];

/**
 * The tracker (web/dist/script.js) at Plausible's paths: /js/script.js and its extension names
 * (/js/script.hash.outbound-links.js …). The tracker reads its options from its own file name, so every
 * name is the same file.
 */
const TRACKER_PATH = /^\/js\/script(?:\.[a-z-]{1,40}){0,6}\.js$/;
export const isTrackerPath = (path: string): boolean => TRACKER_PATH.test(path);

export interface StaticFile {
  body: Buffer;
  contentType: string;
  /** Referrer-Policy, and a Content-Security-Policy for pages (http-policy.ts). */
  headers: Record<string, string>;
  /** Seconds of public caching; unset = the handler's default for documents. */
  maxAge?: number;
}

export interface StaticFiles {
  /** The file for a raw request path, or undefined when there is none. */
  get(path: string): Promise<StaticFile | undefined>;
}

async function readInside(folder: string, name: string): Promise<Buffer | undefined> {
  try {
    const root = await realpath(folder);
    const file = await realpath(join(root, name));
    if (!file.startsWith(root + sep)) return undefined;
    return await readFile(file);
  } catch {
    return undefined;
  }
}

export function createStaticFiles(opts: { webRoot: string }): StaticFiles {
  const folders = [join(opts.webRoot, 'dist'), join(opts.webRoot, 'demo')];
  return {
    async get(path) {
      if (isTrackerPath(path)) {
        // Other sites' pages load it (no CORS needed for <script src>, but fetch-based loaders exist);
        // an hour of caching keeps updates reasonably quick.
        const body = await readInside(folders[0]!, 'script.js');
        if (body === undefined) return undefined;
        const headers = {
          ...staticFileHeaders(CONTENT_TYPES['.js']!, body),
          'Access-Control-Allow-Origin': '*',
          'X-Content-Type-Options': 'nosniff',
        };
        return { body, contentType: CONTENT_TYPES['.js']!, headers, maxAge: 3600 };
      }
      const name = path === '/' ? 'index.html' : path.slice(1);
      if (!path.startsWith('/') || !NAME_RE.test(name) || name.includes('..')) return undefined;
      const contentType = CONTENT_TYPES[extname(name).toLowerCase()];
      if (contentType === undefined) return undefined;
      for (const folder of folders) {
        const body = await readInside(folder, name);
        if (body !== undefined) return { body, contentType, headers: staticFileHeaders(contentType, body) };
      }
      return undefined;
    },
  };
}
