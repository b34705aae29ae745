import express from 'express';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { gunzipSync } from 'node:zlib';
import { sendCachedJson } from './cachedJson';

describe('sendCachedJson', () => {
  const large = { items: Array.from({ length: 500 }, (_, i) => ({ i })) };
  const small = { ok: true };
  let stringified = 0;
  const app = express().get('/:which', (req, res) => {
    const body = req.params.which === 'large' ? large : small;
    sendCachedJson(req, res, body);
  });

  beforeEach(() => {
    stringified = 0;
    const original = JSON.stringify;
    jest.spyOn(JSON, 'stringify').mockImplementation((...args: any[]) => {
      stringified++;
      return (original as any)(...args);
    });
  });
  afterEach(() => jest.restoreAllMocks());

  it('serializes and gzips an object once, for every client that accepts gzip', async () => {
    // node:http, not supertest: superagent would unpack the body.
    const server = app.listen(0, '127.0.0.1');
    await new Promise(r => server.once('listening', r));
    const { port } = server.address() as AddressInfo;
    const raw = () =>
      new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>(
        (resolve, reject) =>
          http
            .get(
              `http://127.0.0.1:${port}/large`,
              { headers: { 'accept-encoding': 'gzip' } },
              res => {
                const chunks: Buffer[] = [];
                res.on('data', (c: Buffer) => chunks.push(c));
                res.on('end', () =>
                  resolve({
                    headers: res.headers,
                    body: Buffer.concat(chunks),
                  }),
                );
              },
            )
            .on('error', reject),
      );
    try {
      const responses = [await raw(), await raw(), await raw()];
      expect(stringified).toBe(1);
      for (const res of responses) {
        expect(res.headers['content-encoding']).toBe('gzip');
        expect(res.headers['content-type']).toMatch(/^application\/json/);
        expect(res.headers.vary).toMatch(/Accept-Encoding/);
        expect(JSON.parse(gunzipSync(res.body).toString())).toEqual(large);
      }
      expect(new Set(responses.map(r => r.headers.etag)).size).toBe(1);
    } finally {
      server.close();
    }
  });

  it('sends plain JSON to a client without gzip, and small answers as they are', async () => {
    const plain = await request(app).get('/large').set('Accept-Encoding', '');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toEqual(large);
    const tiny = await request(app)
      .get('/small')
      .set('Accept-Encoding', 'gzip');
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.body).toEqual(small);
  });

  it('answers 304 to the ETag the client already has, and 200 to another', async () => {
    const first = await request(app).get('/large');
    const again = await request(app)
      .get('/large')
      .set('If-None-Match', first.headers.etag);
    expect(again.status).toBe(304);
    const other = await request(app)
      .get('/large')
      .set('If-None-Match', '"something-else"');
    expect(other.status).toBe(200);
  });
});
