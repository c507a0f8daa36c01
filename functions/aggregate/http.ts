/**
 * The HTTP (Knative) adapter: `POST /` with one enriched CloudEvent in binary or structured mode
 * (CloudEvents HTTP binding §3.1/§3.2). Status codes follow Knative delivery: 200 only once the event
 * is stored or written to the rejected topic; 400 for a bad event when no rejected topic is
 * configured (Knative hands it to the dead-letter sink); 503 on a transient failure (retried).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { isEventFormatError, type HttpHeaders } from '../../events';
import { inboundFromHttp } from '../lib/bus';
import { errorMessage } from '../lib/errors';
import type { Logger } from '../lib/logger';
import type { Aggregator } from './aggregator';

let requestSeq = 0;

export function createAggregateHttpHandler(deps: { aggregator: Aggregator; logger: Logger }) {
  return async (req: Request, res: Response): Promise<void> => {
    if (req.path !== '/' && req.path !== '') {
      res.status(404).json({ error: { code: 'not_found', message: 'POST a CloudEvent to /' } });
      return;
    }
    if (req.method !== 'POST') {
      res
        .status(405)
        .set('allow', 'POST')
        .json({ error: { code: 'method_not_allowed', message: 'POST a CloudEvent to /' } });
      return;
    }
    const body = bodyOf(req);
    const where = `http#${++requestSeq}`;
    try {
      const r = await deps.aggregator.handle([inboundFromHttp(req.headers as HttpHeaders, body, where)]);
      res.status(200).json({ status: r.rejected > 0 ? 'rejected' : 'stored' });
    } catch (e) {
      if (isEventFormatError(e)) {
        res.status(400).json({ error: { code: e.reason, message: e.message.slice(0, 500) } });
        return;
      }
      deps.logger.warn({ where, err: errorMessage(e) }, 'transient failure, answering 503');
      res.status(503).json({ error: { code: 'unavailable', message: 'storage is unavailable, retry later' } });
    }
  };
}

/** The raw request body: the Functions Framework keeps it as `rawBody`; fall back to the parsed body. */
function bodyOf(req: Request): Buffer {
  const raw: unknown = (req as Request & { rawBody?: unknown }).rawBody;
  if (Buffer.isBuffer(raw)) return raw;
  const b: unknown = req.body;
  if (Buffer.isBuffer(b)) return b;
  if (typeof b === 'string') return Buffer.from(b);
  return Buffer.from(b === undefined ? '' : JSON.stringify(b));
}
