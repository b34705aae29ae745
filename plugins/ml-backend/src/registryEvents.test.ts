import { createServiceFactory } from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  createPortalWebhook,
  describeIfBinary,
  getFreePort,
  MlflowHandle,
  mlflowBinary,
  seedMlflowModel,
  startMlflow,
} from '@mlplatform/test-services';
import { createHmac, randomUUID } from 'node:crypto';
import { Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { mlPlugin } from './plugin';

jest.setTimeout(120_000);

const SECRET = 'mlflow-webhook-secret-0123456789';
const user = { Authorization: mockCredentials.user.header('user:default/ada') };

const model = (name: string, registry: string, annotation = false): Entity => ({
  apiVersion: 'mlplatform.io/v1alpha1',
  kind: 'Model',
  metadata: {
    name,
    namespace: 'default',
    ...(annotation
      ? { annotations: { 'mlplatform.io/registry-ref': registry } }
      : {}),
  },
  spec: {
    type: 'classifier',
    lifecycle: 'production',
    owner: 'fraud-team',
    ...(annotation ? {} : { registry }),
  },
});

/** A delivery signed as MLflow signs one (mlflow/webhooks/delivery.py). */
function signed(
  body: object,
  options: { secret?: string; id?: string; timestamp?: number } = {},
) {
  const raw = JSON.stringify(body);
  const id = options.id ?? randomUUID();
  const ts = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', options.secret ?? SECRET)
    .update(`${id}.${ts}.${raw}`)
    .digest('base64');
  return {
    raw,
    headers: {
      'content-type': 'application/json',
      'x-mlflow-delivery-id': id,
      'x-mlflow-timestamp': ts,
      'x-mlflow-signature': `v1,${signature}`,
    },
  };
}

const versionCreated = (name: string, version: string) => ({
  entity: 'model_version',
  action: 'created',
  timestamp: new Date().toISOString(),
  data: {
    name,
    version,
    source: 's',
    run_id: null,
    tags: {},
    description: null,
  },
});

async function eventually<T>(probe: () => Promise<T | undefined>) {
  // Attempts, not a deadline: the clock is frozen in some tests.
  for (let i = 0; i < 150; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise(r => setTimeout(r, 200));
  }
  throw new Error('timed out');
}

describeIfBinary(mlflowBinary)(
  'POST /api/ml/registry/webhooks/mlflow/:registry (real MLflow)',
  () => {
    let mlflow: MlflowHandle;
    let server: Server;
    let firstVersion: { source: string; run_id: string };
    const refreshed: string[] = [];

    beforeAll(async () => {
      mlflow = await startMlflow({ localWebhooks: true });
      const seeded = await seedMlflowModel(mlflow, {
        name: 'fraud-detector',
        versions: [{ metrics: { auc: 0.9 } }],
      });
      firstVersion = {
        source: (
          await mlflow.get('model-versions/get', {
            name: 'fraud-detector',
            version: '1',
          })
        ).model_version.source,
        run_id: seeded.versions[0].runId,
      };
      const catalog = catalogServiceMock({
        entities: [
          // Three MLflow registries are configured: each ref names its own.
          model('fraud-detector', 'mlflow://team-mlflow/fraud-detector'),
          model(
            'fraud-detector-shadow',
            'mlflow://team-mlflow/fraud-detector',
            true,
          ),
          model('churn-model', 'mlflow://team-mlflow/churn-model'),
        ],
      });
      catalog.refreshEntity = async (ref: string) => {
        refreshed.push(ref);
      };
      ({ server } = await startTestBackend({
        features: [
          mlPlugin,
          createServiceFactory({
            service: catalogServiceRef,
            deps: {},
            factory: () => catalog,
          }),
          mockServices.rootConfig.factory({
            data: {
              ml: {
                registries: [
                  {
                    name: 'team-mlflow',
                    type: 'mlflow',
                    url: mlflow.url,
                    webhookSecret: SECRET,
                  },
                  {
                    name: 'other-mlflow',
                    type: 'mlflow',
                    url: `http://127.0.0.1:${await getFreePort()}`,
                    webhookSecret: 'other-secret-0123456789',
                  },
                  { name: 'no-hook', type: 'mlflow', url: mlflow.url },
                ],
              },
            },
          }),
        ],
      }));
    }, 180_000);

    afterEach(() => jest.restoreAllMocks());
    afterAll(async () => {
      await mlflow?.stop();
    });

    const versions = async () => {
      const res = await request(server)
        .get('/api/ml/models/default/fraud-detector/versions')
        .set(user);
      expect([res.status, res.body.error?.message]).toEqual([200, undefined]);
      return res.body.versions.map((v: any) => v.version).sort() as string[];
    };
    const auditRows = async () =>
      (
        await request(server)
          .get('/api/ml/audit?action=ml.registry.event&limit=200')
          .set(user)
      ).body.items as any[];
    const post = (path: string, d: ReturnType<typeof signed>) =>
      request(server).post(path).set(d.headers).send(d.raw);
    const hook = '/api/ml/registry/webhooks/mlflow/team-mlflow';
    const addVersion = async () =>
      (
        await mlflow.post('model-versions/create', {
          name: 'fraud-detector',
          ...firstVersion,
        })
      ).model_version.version as string;

    it('refuses forged, stale, unsigned and replayed deliveries with 401, and changes nothing', async () => {
      // The cache cannot expire while the clock stands still: any change
      // seen below would be the webhook's doing.
      jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      expect(await versions()).toEqual(['1']);
      // A version the portal has not heard of, for a forged delivery to announce.
      const v2 = await addVersion();
      const event = versionCreated('fraud-detector', v2);
      const now = Math.floor(Date.now() / 1000);

      const cases: Array<[string, ReturnType<typeof signed>, string]> = [
        [
          'a wrong secret',
          signed(event, { secret: 'guess' }),
          'Wrong webhook signature',
        ],
        [
          'a stale timestamp',
          signed(event, { timestamp: now - 301 }),
          's old: deliveries older than 300 s are refused',
        ],
        [
          'a future timestamp',
          signed(event, { timestamp: now + 120 }),
          'ahead',
        ],
        [
          'no signature',
          {
            ...signed(event),
            headers: { ...signed(event).headers, 'x-mlflow-signature': '' },
          },
          'Missing X-MLflow-Signature',
        ],
        [
          'a body changed after signing',
          {
            ...signed(event),
            raw: JSON.stringify({
              ...event,
              data: { ...event.data, name: 'churn-model' },
            }),
          },
          'Wrong webhook signature',
        ],
      ];
      for (const [, delivery, message] of cases) {
        const res = await post(hook, delivery);
        expect(res.status).toBe(401);
        expect(res.body.error.message).toContain(message);
      }

      expect(await versions()).toEqual(['1']);
      expect(refreshed).toEqual([]);
      // Refused deliveries are not audited: anyone can send them.
      expect(await auditRows()).toEqual([]);

      // Replay: the same signed delivery twice.
      const once = signed(versionCreated('churn-model', '1'));
      expect((await post(hook, once)).status).toBe(200);
      const replay = await post(hook, once);
      expect(replay.status).toBe(401);
      expect(replay.body.error.message).toContain('replays are refused');
      expect(refreshed).toEqual(['model:default/churn-model']);
      expect(await auditRows()).toHaveLength(1);
      expect(await versions()).toEqual(['1']);
    });

    it('answers 404 for an unknown registry or one without webhookSecret', async () => {
      const d = signed(versionCreated('fraud-detector', '1'));
      for (const name of ['nope', 'no-hook']) {
        const res = await post(`/api/ml/registry/webhooks/mlflow/${name}`, d);
        expect(res.status).toBe(404);
      }
    });

    it("ignores an event of another registry's model of the same name", async () => {
      // mlflow://team-mlflow/fraud-detector is not other-mlflow's model.
      const res = await post(
        '/api/ml/registry/webhooks/mlflow/other-mlflow',
        signed(versionCreated('fraud-detector', '1'), {
          secret: 'other-secret-0123456789',
        }),
      );
      expect(res.status).toBe(200);
      expect(res.body.entities).toEqual([]);
      expect(refreshed).not.toContain('model:default/fraud-detector');
    });

    it("takes MLflow's own deliveries: a new version shows at once, the Models are refreshed and audited", async () => {
      const { port } = server.address() as AddressInfo;
      const webhookId = await createPortalWebhook(mlflow, {
        url: `http://127.0.0.1:${port}${hook}`,
        secret: SECRET,
      });

      // MLflow's test delivery (an example model) passes the signature check.
      const test = await mlflow.post(`webhooks/${webhookId}/test`, {});
      expect(test.result).toMatchObject({
        success: true,
        response_status: 200,
      });

      jest.spyOn(Date, 'now').mockReturnValue(Date.now());
      await versions(); // cached from here on
      refreshed.length = 0;
      const v = await addVersion();
      const inMlflow = (
        await mlflow.get('model-versions/search', {
          filter: "name='fraud-detector'",
        })
      ).model_versions.map((x: any) => String(x.version));
      const rows = await eventually(async () => {
        const found = (await auditRows()).filter(r => r.details.version === v);
        return found.length === 2 ? found : undefined;
      });
      // Fresh at once, though the clock has not moved past the cache's TTL.
      expect(await versions()).toEqual(inMlflow.sort());
      expect(inMlflow).toContain(v);
      expect(refreshed.sort()).toEqual([
        'model:default/fraud-detector',
        'model:default/fraud-detector-shadow',
      ]);
      expect(rows.map(r => [r.actor, r.targetRef, r.outcome]).sort()).toEqual([
        ['mlflow:team-mlflow', 'model:default/fraud-detector', 'succeeded'],
        [
          'mlflow:team-mlflow',
          'model:default/fraud-detector-shadow',
          'succeeded',
        ],
      ]);
      expect(rows[0].details).toMatchObject({
        registry: 'team-mlflow',
        event: 'model_version.created',
        model: 'fraud-detector',
      });

      // Moving an alias in MLflow is an event too.
      await mlflow.post('registered-models/alias', {
        name: 'fraud-detector',
        alias: 'champion',
        version: v,
      });
      await eventually(async () =>
        (
          await auditRows()
        ).some(r => r.details.event === 'model_version_alias.created')
          ? true
          : undefined,
      );
      const res = await request(server)
        .get('/api/ml/models/default/fraud-detector/versions')
        .set(user);
      expect(
        res.body.versions.find((x: any) => x.version === v).aliases,
      ).toContain('champion');
    });
  },
);
