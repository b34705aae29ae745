import type { Request, Response } from 'express';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

interface Prepared {
  etag: string;
  json: Buffer;
  gzip?: Buffer;
}

const prepared = new WeakMap<object, Prepared>();

/** Below this a response is sent as is: gzip would not pay for itself. */
const GZIP_MIN_BYTES = 1024;

/**
 * Sends `body` as JSON, serialized once per object and, for a client that
 * accepts it (every browser), gzipped once: meant for answers served from a
 * cache (CoalescingCache hands every viewer of a cache window the same
 * object), where serializing a large answer per request would cost more than
 * building it. A strong ETag lets a client's `If-None-Match` get a 304.
 * Setting Content-Encoding here makes Backstage's compression middleware
 * leave the bytes alone.
 *
 * The object must not be changed after it was first sent.
 *
 * @internal
 */
export function sendCachedJson(req: Request, res: Response, body: object) {
  let p = prepared.get(body);
  if (!p) {
    const json = Buffer.from(JSON.stringify(body));
    p = {
      json,
      etag: `"${createHash('sha1').update(json).digest('base64url')}"`,
    };
    prepared.set(body, p);
  }
  res.setHeader('ETag', p.etag);
  res.vary('Accept-Encoding');
  res.type('json');
  if (req.fresh) {
    res.status(304).end();
    return;
  }
  if (p.json.length >= GZIP_MIN_BYTES && req.acceptsEncodings('gzip')) {
    p.gzip ??= gzipSync(p.json);
    res.setHeader('Content-Encoding', 'gzip');
    res.send(p.gzip);
    return;
  }
  res.send(p.json);
}
