import { ResponseError } from '@backstage/errors';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { MlApiClient } from './MlApiClient';

// A real HTTP server writes the event stream in awkward pieces (an event
// split across writes, CRLF line ends), as proxies may deliver it.
describe('MlApiClient.followNotebookProgress', () => {
  let server: http.Server;
  let baseUrl = '';
  let seen: { url?: string; authorization?: string } = {};

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen = { url: req.url, authorization: req.headers.authorization };
      if (req.url!.includes('/missing/')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              name: 'NotFoundError',
              message: 'no JupyterHub notebook missing',
            },
            request: { method: 'GET', url: req.url },
            response: { statusCode: 404 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"progress":0,"message":"Server requested"}\n\n');
      res.write('data: {"progress":40,"mess');
      setTimeout(() => {
        res.write('age":"Pulling image"}\r\n\r\n');
        res.end(
          'data: {"progress":100,"ready":true,"url":"https://hub/user/ada/x/lab"}\n\n',
        );
      }, 20);
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));

  const client = () =>
    new MlApiClient({
      discoveryApi: { getBaseUrl: async () => `${baseUrl}/api/ml` },
    });

  it('yields each event in order until the stream ends, with the token', async () => {
    const events = [];
    for await (const e of client().followNotebookProgress(
      { cluster: 'gpu-cluster-b', namespace: 'nlp', name: 'x' },
      { token: 't0k' },
    )) {
      events.push(e);
    }
    expect(seen).toEqual({
      url: '/api/ml/notebooks/gpu-cluster-b/nlp/x/progress',
      authorization: 'Bearer t0k',
    });
    expect(events).toEqual([
      { progress: 0, message: 'Server requested' },
      { progress: 40, message: 'Pulling image' },
      { progress: 100, ready: true, url: 'https://hub/user/ada/x/lab' },
    ]);
  });

  it("rejects with the backend's ResponseError before any event", async () => {
    const stream = client().followNotebookProgress({
      cluster: 'c',
      namespace: 'missing',
      name: 'x',
    });
    const error = await stream.next().catch(e => e);
    expect(error).toBeInstanceOf(ResponseError);
    expect(error.statusCode).toBe(404);
    expect(error.message).toBe('no JupyterHub notebook missing');
  });
});
