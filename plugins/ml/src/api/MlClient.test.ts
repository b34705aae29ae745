import { registerMswTestHooks } from '@backstage/frontend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlClient } from './MlClient';

describe('MlClient', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new MlClient({
    discoveryApi: {
      getBaseUrl: async (id: string) => `http://backstage.test/api/${id}`,
    },
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });

  it('reads /api/ml/health', async () => {
    server.use(
      http.get('http://backstage.test/api/ml/health', () =>
        HttpResponse.json({
          version: '1.2.3',
          checkedAt: 'now',
          integrations: [],
        }),
      ),
    );
    await expect(client.getHealth()).resolves.toEqual({
      version: '1.2.3',
      checkedAt: 'now',
      integrations: [],
    });
  });

  it('turns a backend error into a ResponseError carrying its message', async () => {
    server.use(
      http.get('http://backstage.test/api/ml/health', () =>
        HttpResponse.json(
          {
            error: { name: 'InputError', message: 'bad window' },
            response: { statusCode: 400 },
          },
          { status: 400 },
        ),
      ),
    );
    await expect(client.getHealth()).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      body: { error: { message: 'bad window' } },
    });
  });
});
