import { mockServices } from '@backstage/backend-test-utils';
import { AuthenticationError, NotFoundError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createHmac } from 'node:crypto';
import { MlAuditor } from '../audit/MlAuditor';
import { RegistryEventService } from './RegistryEventService';
import { RegistryService } from './RegistryService';

const SECRET = 'webhook-secret-0123456789';
const NOW = 1_800_000_000_000;

function service(now = () => NOW) {
  const registries = [
    {
      name: 'team',
      type: 'mlflow' as const,
      url: 'http://127.0.0.1:1',
      webhookSecret: SECRET,
    },
    { name: 'oci', type: 'oci' as const, url: 'http://127.0.0.1:2' },
  ];
  const logger = mockServices.logger.mock();
  return RegistryEventService.create({
    registries,
    registryService: RegistryService.create({ registries, logger }),
    catalog: catalogServiceMock(),
    auth: mockServices.auth(),
    audit: { begin: jest.fn() } as unknown as MlAuditor,
    logger,
    now,
  });
}

const body = Buffer.from('{"entity":"model_version"}');
const sign = (id: string, ts: string, secret = SECRET) =>
  `v1,${createHmac('sha256', secret)
    .update(`${id}.${ts}.${body}`)
    .digest('base64')}`;
const ts = String(NOW / 1000);

describe('RegistryEventService.verify', () => {
  it('accepts one valid signature among several (Standard Webhooks key rotation)', () => {
    const s = service();
    expect(() =>
      s.verify(
        'team',
        {
          signature: `v1,AAAA ${sign('d1', ts)}`,
          timestamp: ts,
          deliveryId: 'd1',
        },
        body,
      ),
    ).not.toThrow();
  });

  it.each([
    ['another scheme version', `v2,${sign('d2', ts).slice(3)}`],
    ['a truncated signature', sign('d2', ts).slice(0, 20)],
    ['not base64 at all', 'v1,!!!'],
    ['the signature of another delivery id', sign('other', ts)],
  ])('refuses %s', (_, signature) => {
    expect(() =>
      service().verify(
        'team',
        { signature, timestamp: ts, deliveryId: 'd2' },
        body,
      ),
    ).toThrow(AuthenticationError);
  });

  it('refuses malformed timestamps and overlong delivery ids before any HMAC', () => {
    const s = service();
    expect(() =>
      s.verify(
        'team',
        { signature: sign('d', '1e9'), timestamp: '1e9', deliveryId: 'd' },
        body,
      ),
    ).toThrow('Malformed');
    const long = 'x'.repeat(129);
    expect(() =>
      s.verify(
        'team',
        { signature: sign(long, ts), timestamp: ts, deliveryId: long },
        body,
      ),
    ).toThrow('Malformed');
  });

  it('accepts 300 s old and 30 s ahead, not beyond', () => {
    const s = service();
    const at = (offset: number, id: string) => {
      const t = String(NOW / 1000 + offset);
      return () =>
        s.verify(
          'team',
          { signature: sign(id, t), timestamp: t, deliveryId: id },
          body,
        );
    };
    expect(at(-300, 'a')).not.toThrow();
    expect(at(30, 'b')).not.toThrow();
    expect(at(-301, 'c')).toThrow('s old');
    expect(at(31, 'd')).toThrow('ahead');
  });

  it('forgets delivery ids once their deliveries would be too old anyway', () => {
    let now = NOW;
    const s = service(() => now);
    const t = String(NOW / 1000);
    const deliver = () =>
      s.verify(
        'team',
        { signature: sign('same', t), timestamp: t, deliveryId: 'same' },
        body,
      );
    deliver();
    expect(deliver).toThrow('replays are refused');
    now += 400_000;
    // Forgotten, but refused for its age all the same.
    expect(deliver).toThrow('s old');
  });

  it('answers 404 for an unknown or non-MLflow registry', () => {
    expect(() => service().mlflowRegistry('nope')).toThrow(NotFoundError);
    expect(() => service().mlflowRegistry('oci')).toThrow(NotFoundError);
  });
});

describe('RegistryEventService.handle', () => {
  it('ignores events that change no Model', async () => {
    const res = await service().handle(
      'team',
      {
        entity: 'prompt',
        action: 'created',
        timestamp: '',
        data: { name: 'p' },
      },
      'd',
    );
    expect(res).toEqual({
      event: 'prompt.created',
      ignored: 'not a model registry event',
      entities: [],
    });
  });

  it('matches mlflow://<registry>/<model> of its registry, not of another, and no ambiguous bare ref', async () => {
    const registries = [
      { name: 'team', type: 'mlflow' as const, url: 'http://127.0.0.1:1' },
      { name: 'other', type: 'mlflow' as const, url: 'http://127.0.0.1:2' },
    ];
    const model = (name: string, registry: string) => ({
      apiVersion: 'mlplatform.io/v1alpha1',
      kind: 'Model',
      metadata: { name, namespace: 'default' },
      spec: {
        type: 'classifier',
        lifecycle: 'production',
        owner: 'g',
        registry,
      },
    });
    const catalog = catalogServiceMock({
      entities: [
        model('ours', 'mlflow://team/churn'),
        model('theirs', 'mlflow://other/churn'),
        model('bare', 'mlflow://churn'),
      ],
    });
    const refreshed: string[] = [];
    catalog.refreshEntity = async (ref: string) => {
      refreshed.push(ref);
    };
    const audited = { succeeded: jest.fn(), failed: jest.fn() };
    const logger = mockServices.logger.mock();
    const events = RegistryEventService.create({
      registries,
      registryService: RegistryService.create({ registries, logger }),
      catalog,
      auth: mockServices.auth(),
      audit: { begin: jest.fn(async () => audited) } as unknown as MlAuditor,
      logger,
    });
    const res = await events.handle(
      'team',
      {
        entity: 'model_version',
        action: 'created',
        timestamp: '',
        data: { name: 'churn', version: '3' },
      },
      'd',
    );
    expect(res.entities).toEqual([
      { entityRef: 'model:default/ours', refreshed: true },
    ]);
    expect(refreshed).toEqual(['model:default/ours']);
  });
});
