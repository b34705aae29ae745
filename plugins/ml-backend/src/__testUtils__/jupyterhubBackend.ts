/*
 * Test setup shared by the JupyterHub notebook tests and bench/notebooks.ts:
 * the real ML backend plugin (with the permission backend and the test
 * policy) serving JupyterHub notebooks for namespace `fraud` of
 * gpu-cluster-b, a test Kubernetes API server seeded with clusterBSeed()
 * (fraud-team owns fraud: 8 GPUs, 6 used by training pods).
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import permissionPlugin from '@backstage/plugin-permission-backend';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { KubeApiServer } from '@mlplatform/test-kube-apiserver';
import { mlPlugin } from '../plugin';
import { oboAuthServiceFactory } from '../permissions/__testUtils__/oboAuthServiceFactory';
import { mlTestPolicyModule } from '../permissions/__testUtils__/testPolicy';
import { userInfoServiceFactory } from './testUsers';

export const ADA = 'user:default/ada';
export const BOB = 'user:default/bob';
export const EVE = 'user:default/eve';
export const ROOT = 'user:default/root';
/** The demo's guest, a member of fraud-team there. */
export const GUEST = 'user:development/guest';

/** Each user's groups; platform-team members are admins. */
export const JUPYTERHUB_TEST_GROUPS: Record<string, string[]> = {
  [ADA]: ['group:default/fraud-team'],
  [BOB]: ['group:default/fraud-team'],
  [EVE]: ['group:default/nlp-team'],
  [ROOT]: ['group:default/platform-team'],
  [GUEST]: ['group:default/fraud-team'],
};

/** The one image `ml.jupyterhub.images` offers. */
export const NOTEBOOK_IMAGE = 'quay.io/jupyter/scipy-notebook:2024-12-02';

/** A 1-GPU notebook request for fraud on gpu-cluster-b. */
export function jupyterhubNotebookBody(name: string) {
  return {
    name,
    cluster: 'gpu-cluster-b',
    namespace: 'fraud',
    gpus: 1,
    cpu: '2',
    memory: '4Gi',
    image: NOTEBOOK_IMAGE,
  };
}

/**
 * Starts the ML backend against `kube` (as gpu-cluster-b) with
 * `ml.jupyterhub` = the serves/images above merged with `jupyterhub` (url,
 * apiToken, publicUrl, ...). `kubernetes` overrides the cluster settings
 * (the tests read quotas fresh and time out fast; the bench keeps the
 * portal's defaults); `ml` adds more of the ML config (e.g. prometheus and
 * notebooks.idle), `config` more top-level config, `features` more plugins
 * and services.
 */
export function startJupyterHubBackend(options: {
  kube: Pick<KubeApiServer, 'url' | 'token' | 'caData'>;
  jupyterhub: object;
  kubernetes?: { requestTimeoutSeconds?: number; refreshSeconds?: number };
  ml?: Record<string, unknown>;
  config?: Record<string, unknown>;
  features?: Parameters<typeof startTestBackend>[0]['features'];
}) {
  const { kube, jupyterhub } = options;
  const kubernetes = options.kubernetes ?? {
    requestTimeoutSeconds: 2,
    refreshSeconds: 0,
  };
  return startTestBackend({
    features: [
      ...(options.features ?? []),
      mlPlugin,
      permissionPlugin,
      mlTestPolicyModule({ admins: ['group:default/platform-team'] }),
      oboAuthServiceFactory,
      userInfoServiceFactory(JUPYTERHUB_TEST_GROUPS),
      catalogServiceMock.factory({ entities: [] }),
      mockServices.rootConfig.factory({
        data: {
          ...options.config,
          app: { baseUrl: 'http://localhost:3000' },
          permission: { enabled: true },
          ml: {
            ...options.ml,
            kubernetes: {
              ...kubernetes,
              clusters: [
                {
                  name: 'gpu-cluster-b',
                  url: kube.url,
                  token: kube.token,
                  caData: kube.caData,
                },
              ],
            },
            jupyterhub: {
              serves: [{ cluster: 'gpu-cluster-b', namespaces: ['fraud'] }],
              images: [NOTEBOOK_IMAGE],
              requestTimeoutSeconds: 5,
              ...jupyterhub,
            },
          },
        },
      }),
    ],
  });
}
