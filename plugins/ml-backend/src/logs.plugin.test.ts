/*
 * The logs API as the whole ML backend plugin serves it: mounted under
 * /api/ml, signed-in callers only, Loki read from ml.logs config.
 */
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { LokiStandIn, startLokiStandIn } from '@mlplatform/test-services';
import request from 'supertest';
import { mlPlugin } from './plugin';

const model = {
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: {
    name: 'fraud-detector',
    namespace: 'default',
    annotations: {
      'backstage.io/kubernetes-id': 'fraud-detector',
      'mlplatform.io/logs-selector': 'namespace="fraud", app="fraud-detector"',
    },
  },
  spec: { type: 'classifier', lifecycle: 'production', owner: 'fraud-team' },
};

describe('logs routes in the ML backend plugin', () => {
  let loki: LokiStandIn;
  beforeAll(async () => {
    loki = await startLokiStandIn({
      streams: [
        {
          labels: { namespace: 'fraud', app: 'fraud-detector' },
          lines: [{ ms: Date.now() - 60_000, line: 'predict 500' }],
        },
      ],
    });
  });
  afterAll(() => loki?.stop());

  const backend = (data: object) =>
    startTestBackend({
      features: [
        mlPlugin,
        mockServices.rootConfig.factory({ data }),
        catalogServiceMock.factory({ entities: [model as any] }),
        mockServices.httpAuth.factory({
          defaultCredentials: mockCredentials.none(),
        }),
      ],
    });
  const auth = { Authorization: mockCredentials.user.header() };

  it('needs a signed-in user and says what is not configured', async () => {
    const { server } = await backend({});
    const anonymous = await request(server).get(
      '/api/ml/models/default/fraud-detector/logs/pods',
    );
    expect(anonymous.status).toBe(401);
    const pods = await request(server)
      .get('/api/ml/models/default/fraud-detector/logs/pods')
      .set(auth);
    expect(pods.status).toBe(200);
    expect(pods.body).toEqual({
      configured: false,
      message:
        'No Kubernetes cluster is configured (ml.kubernetes.clusters); see docs/logs.md',
      pods: [],
      errors: [],
    });
    const store = await request(server)
      .get('/api/ml/models/default/fraud-detector/logs/store')
      .set(auth);
    expect(store.body).toMatchObject({
      configured: false,
      message:
        'No log store is configured: set ml.logs.loki.url (docs/logs.md)',
    });
  });

  it('reads Loki from ml.logs.loki', async () => {
    const { server } = await backend({
      ml: { logs: { loki: { url: loki.url, maxWindow: '2h' } } },
    });
    const store = await request(server)
      .get('/api/ml/models/default/fraud-detector/logs/store?since=1h')
      .set(auth);
    expect(store.status).toBe(200);
    expect(store.body.lines.map((l: any) => l.text)).toEqual(['predict 500']);
    const wide = await request(server)
      .get('/api/ml/models/default/fraud-detector/logs/store?since=3h')
      .set(auth);
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toContain('is longer than 2h');
  });
});
