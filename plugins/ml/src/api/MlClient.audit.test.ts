import { registerMswTestHooks } from '@backstage/frontend-test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { MlClient } from './MlClient';

describe('MlClient.getAuditEvents', () => {
  const server = setupServer();
  registerMswTestHooks(server);

  const client = new MlClient({
    discoveryApi: {
      getBaseUrl: async (id: string) => `http://backstage.test/api/${id}`,
    },
    fetchApi: { fetch: (input, init) => fetch(input, init) },
  });

  it('sends only the filters that are set, and returns the page', async () => {
    let seen: URL | undefined;
    server.use(
      http.get('http://backstage.test/api/ml/audit', ({ request }) => {
        seen = new URL(request.url);
        return HttpResponse.json({ items: [], nextCursor: 'c2', scope: 'all' });
      }),
    );
    await expect(
      client.getAuditEvents({
        actor: 'user:default/alice',
        action: 'ml.model.promote',
        entity: 'model:default/fraud-detector',
        from: '2026-11-20T00:00:00.000Z',
        to: undefined,
        limit: 25,
        cursor: 'c1',
      }),
    ).resolves.toEqual({ items: [], nextCursor: 'c2', scope: 'all' });
    expect(Object.fromEntries(seen!.searchParams)).toEqual({
      actor: 'user:default/alice',
      action: 'ml.model.promote',
      entity: 'model:default/fraud-detector',
      from: '2026-11-20T00:00:00.000Z',
      limit: '25',
      cursor: 'c1',
    });
  });

  it('rejects with the backend message when refused', async () => {
    server.use(
      http.get('http://backstage.test/api/ml/audit', () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message:
                'user:default/bob may only read their own audit events: permission ml.audit.read denied',
            },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );
    await expect(
      client.getAuditEvents({ actor: 'user:default/alice' }),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      body: {
        error: {
          message: expect.stringMatching(
            /may only read their own audit events/,
          ),
        },
      },
    });
  });
});
