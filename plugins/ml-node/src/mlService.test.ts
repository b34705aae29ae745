import {
  coreServices,
  createBackendPlugin,
  createServiceFactory,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  startTestBackend,
} from '@backstage/backend-test-utils';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { MlService, mlServiceRef } from './mlService';

// The default factory, as a module gets it: the ML backend is a local HTTP
// server standing in, discovery points at it, auth is the test backend's.
describe('mlServiceRef', () => {
  let server: http.Server;
  let baseUrl = '';
  const seen: { url: string; authorization?: string }[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      seen.push({ url: req.url!, authorization: req.headers.authorization });
      if (req.url === '/api/ml/notebooks') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ items: [] }));
        return;
      }
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          error: { name: 'NotAllowedError', message: 'not yours' },
          response: { statusCode: 403 },
        }),
      );
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>(r => server.close(() => r())));

  async function mlService(): Promise<MlService> {
    let ml: MlService | undefined;
    const backend = await startTestBackend({
      features: [
        createServiceFactory({
          service: coreServices.discovery,
          deps: {},
          factory: () => ({
            getBaseUrl: async (id: string) => `${baseUrl}/api/${id}`,
            getExternalBaseUrl: async (id: string) => `${baseUrl}/api/${id}`,
          }),
        }),
        createBackendPlugin({
          pluginId: 'consumer',
          register(reg) {
            reg.registerInit({
              deps: { mlService: mlServiceRef },
              async init({ mlService: service }) {
                ml = service;
              },
            });
          },
        }),
      ],
    });
    await backend.stop();
    return ml!;
  }

  it('calls the ML backend with a token for it, on behalf of the credentials', async () => {
    const ml = await mlService();
    const credentials = mockCredentials.user('user:default/alice');
    await expect(ml.listNotebooks({ credentials })).resolves.toEqual({
      items: [],
    });
    expect(seen.at(-1)).toEqual({
      url: '/api/ml/notebooks',
      authorization: `Bearer ${mockCredentials.service.token({
        onBehalfOf: credentials,
        targetPluginId: 'ml',
      })}`,
    });
  });

  it('rejects a refusal as a ResponseError that still says NotAllowedError', async () => {
    const ml = await mlService();
    const error = await ml
      .promoteModel(
        { namespace: 'default', name: 'fraud-detector' },
        { alias: 'production', version: 'v3' },
        { credentials: mockCredentials.user() },
      )
      .catch(e => e);
    expect(error).toMatchObject({
      name: 'ResponseError',
      statusCode: 403,
      message: 'not yours',
      body: { error: { name: 'NotAllowedError' } },
    });
  });
});
