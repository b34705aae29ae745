import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { parseHealthWindow } from '@mlplatform/plugin-ml-common';
import { AlertmanagerClient } from './AlertmanagerClient';
import { builtInMetricsProfiles } from './metricsProfiles';
import { ModelHealthService } from './ModelHealthService';
import { PrometheusClient } from './PrometheusClient';

// No server listens here: a test that reaches it fails with `unreachable`.
const NOWHERE = 'http://127.0.0.1:9';

function model(annotations: Record<string, string>): Entity {
  return {
    apiVersion: 'mlplatform.io/v1alpha1',
    kind: 'Model',
    metadata: { name: 'm', namespace: 'default', annotations },
    spec: { type: 'classifier', owner: 'team-a', slo: { latencyP95Ms: 100 } },
  };
}

function service(configured: boolean) {
  const prometheus = PrometheusClient.create({ url: NOWHERE });
  const alertmanager = AlertmanagerClient.create({ url: NOWHERE });
  const health = ModelHealthService.create({
    ...(configured ? { prometheus, alertmanager } : {}),
    profiles: new Map(Object.entries(builtInMetricsProfiles)),
    logger: mockServices.logger.mock(),
  });
  return { health, prometheus, alertmanager };
}

describe('ModelHealthService', () => {
  it('says Prometheus and Alertmanager were not queried for a model without a metrics selector', async () => {
    const { health, prometheus, alertmanager } = service(true);
    // An alert selector alone does not make the model's alerts read.
    const answer = await health.getHealth(
      model({ 'mlplatform.io/alert-selector': 'team="a"' }),
      parseHealthWindow('1h'),
    );
    expect(answer.verdict).toBe('unknown');
    expect(answer.reason).toMatch(
      /^Not configured: add the mlplatform\.io\/metrics-selector annotation/,
    );
    expect(answer.prometheus).toEqual({
      state: 'not-queried',
      message:
        'The Model has no mlplatform.io/metrics-selector annotation, so its metrics were not read',
    });
    expect(answer.alertmanager).toEqual({
      state: 'not-queried',
      message:
        'The Model has no mlplatform.io/metrics-selector annotation, so its alerts were not read',
    });
    expect(answer.alerts).toEqual([]);
    expect(prometheus.stats().requests).toBe(0);
    expect(alertmanager.stats().requests).toBe(0);
    expect(health.stats().evaluations).toBe(0);
  });

  it('says not-configured, not not-queried, for upstreams without a URL', async () => {
    const { health } = service(false);
    const answer = await health.getHealth(model({}), parseHealthWindow('1h'));
    expect(answer.prometheus).toEqual({ state: 'not-configured' });
    expect(answer.alertmanager).toEqual({ state: 'not-configured' });
  });

  it('echoes the window it was given', async () => {
    const { health } = service(true);
    const answer = await health.getHealth(model({}), parseHealthWindow('7d'));
    expect(answer.window).toBe('7d');
  });

  it('refuses a bad selector before asking anything', async () => {
    const { health, prometheus } = service(true);
    await expect(
      health.getHealth(
        model({ 'mlplatform.io/metrics-selector': 'model="a"}) or vector(1)' }),
        parseHealthWindow('1h'),
      ),
    ).rejects.toThrow(
      /^The mlplatform\.io\/metrics-selector annotation must be Prometheus label matchers/,
    );
    expect(prometheus.stats().requests).toBe(0);
  });
});
