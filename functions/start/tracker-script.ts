/**
 * Serves the tracker bundle (web/dist/script.js, built by `npm run build`) at /js/script.js and at
 * Plausible's extension names (/js/script.hash.outbound-links.js …): the tracker reads its options
 * from its own file name, so every name is the same file.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';

const TRACKER_PATH = /^\/js\/script(?:\.[a-z-]{1,40}){0,6}\.js$/;

export interface TrackerScript {
  matches(path: string): boolean;
  serve(req: IncomingMessage, res: ServerResponse): Promise<void>;
}

export function createTrackerScript(file: string): TrackerScript {
  return {
    matches: (path) => TRACKER_PATH.test(path),
    async serve(req, res) {
      let body: Buffer;
      try {
        body = await readFile(file);
      } catch {
        res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
        res.end('{"error":{"code":"not_found","message":"the tracker is not built: run `npm run build`"}}');
        return;
      }
      res.writeHead(200, {
        'Content-Type': 'text/javascript; charset=utf-8',
        'Content-Length': String(body.length),
        // Pages on any origin load it; an hour of caching keeps updates reasonably quick.
        'Access-Control-Allow-Origin': '*',
        'Cache-Control': 'public, max-age=3600',
        'X-Content-Type-Options': 'nosniff',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    },
  };
}
