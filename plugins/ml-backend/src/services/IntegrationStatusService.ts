import { LoggerService } from '@backstage/backend-plugin-api';
import { readFileSync } from 'node:fs';
import { VersionApi } from '@kubernetes/client-node';
import {
  MlHealthResponse,
  MlIntegrationState,
  MlIntegrationStatus,
  MlIntegrationTarget,
} from '@mlplatform/plugin-ml-common';
import { MlConfig, RegistryConfig } from '../config';
import { httpProbe } from './httpProbe';
import { clusterHost, kubeConfigFor } from './kubernetes/kubeConfig';

const CACHE_MS = 15_000;

/** The Feast registry REST server of `catalog.providers.mlFeast`. @internal */
export interface FeastRegistryStatusConfig {
  name: string;
  url: string;
  token?: string;
}

/**
 * `catalog.providers.mlFeast` as the status needs it (the catalog module
 * validates the rest), or undefined when not configured.
 *
 * @internal
 */
export function readFeastRegistryStatusConfig(config: {
  getOptionalConfig(key: string):
    | undefined
    | {
        getString(key: string): string;
        getOptionalString(key: string): string | undefined;
      };
}): FeastRegistryStatusConfig | undefined {
  const feast = config.getOptionalConfig('catalog.providers.mlFeast');
  if (!feast) return undefined;
  return {
    name: feast.getOptionalString('name') ?? 'feast',
    url: feast.getString('url'),
    token: feast.getOptionalString('token'),
  };
}
const PROBE_TIMEOUT_MS = 3_000;

function bearer(token?: string): Record<string, string> | undefined {
  return token ? { authorization: `Bearer ${token}` } : undefined;
}

function registryHeaders(registry: RegistryConfig) {
  if (registry.token) return bearer(registry.token);
  if (registry.username) {
    const basic = Buffer.from(
      `${registry.username}:${registry.password ?? ''}`,
    ).toString('base64');
    return { authorization: `Basic ${basic}` };
  }
  return undefined;
}

function stateOf(targets: MlIntegrationTarget[]): MlIntegrationState {
  if (targets.length === 0) return 'not-configured';
  const up = targets.filter(t => t.reachable).length;
  if (up === targets.length) return 'ok';
  return up === 0 ? 'unreachable' : 'degraded';
}

function errorText(e: unknown): string {
  const err = e as {
    message?: string;
    code?: string;
    cause?: { code?: string; message?: string };
  };
  return (
    err.cause?.code ??
    err.code ??
    err.cause?.message ??
    err.message ??
    String(e)
  );
}

async function probeHttp(
  name: string,
  url: string,
  accept: (status: number) => boolean,
  options: Parameters<typeof httpProbe>[1],
): Promise<MlIntegrationTarget> {
  const host = new URL(url).host;
  try {
    const { status, latencyMs } = await httpProbe(url, {
      ...options,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    return accept(status)
      ? { name, host, reachable: true, latencyMs }
      : { name, host, reachable: false, error: `HTTP ${status}` };
  } catch (e) {
    return { name, host, reachable: false, error: errorText(e) };
  }
}

/**
 * Tells which integrations are configured and whether they answer, for
 * `GET /api/ml/health` and the ML page. Probes run at most once per cache
 * window however many callers ask, and never return secrets or URL paths.
 *
 * @internal
 */
export class IntegrationStatusService {
  private cached?: { at: number; value: Promise<MlHealthResponse> };
  // Registry CA bundles, read once at startup instead of on every probe.
  private readonly registryCas: Array<Buffer | undefined>;

  static create(options: {
    config: MlConfig;
    logger: LoggerService;
    version: string;
    /**
     * The Feast registry the catalog's Feast provider reads
     * (`catalog.providers.mlFeast`), when configured.
     */
    feast?: FeastRegistryStatusConfig;
  }) {
    return new IntegrationStatusService(
      options.config,
      options.logger,
      options.version,
      options.feast,
    );
  }

  private constructor(
    private readonly config: MlConfig,
    private readonly logger: LoggerService,
    private readonly version: string,
    private readonly feast?: FeastRegistryStatusConfig,
  ) {
    this.registryCas = config.registries.map(r =>
      r.caFile ? readFileSync(r.caFile) : undefined,
    );
  }

  getStatus(): Promise<MlHealthResponse> {
    const now = Date.now();
    if (!this.cached || now - this.cached.at > CACHE_MS) {
      const value = this.probeAll();
      this.cached = { at: now, value };
      value.catch(() => {
        this.cached = undefined;
      });
    }
    return this.cached.value;
  }

  private async probeAll(): Promise<MlHealthResponse> {
    const { clusters, registries, prometheus, alertmanager } = this.config;
    const feast = this.feast;
    const [k8s, regs, prom, am, fst] = await Promise.all([
      Promise.all(clusters.map(c => this.probeCluster(c))),
      Promise.all(
        registries.map((r, i) =>
          r.type === 'oci'
            ? // The distribution spec's version check: 200, or 401 when auth is required.
              probeHttp(r.name, `${r.url}/v2/`, s => s === 200 || s === 401, {
                headers: registryHeaders(r),
                ca: this.registryCas[i],
              })
            : probeHttp(r.name, `${r.url}/health`, s => s === 200, {
                headers: registryHeaders(r),
                ca: this.registryCas[i],
              }),
        ),
      ),
      prometheus
        ? probeHttp('prometheus', `${prometheus.url}/-/ready`, s => s === 200, {
            headers: bearer(prometheus.token),
          }).then(t => [t])
        : Promise.resolve([]),
      alertmanager
        ? probeHttp(
            'alertmanager',
            `${alertmanager.url}/-/ready`,
            s => s === 200,
            {
              headers: bearer(alertmanager.token),
            },
          ).then(t => [t])
        : Promise.resolve([]),
      feast
        ? // The registry REST server's project list (what the provider reads first).
          probeHttp(
            feast.name,
            `${feast.url
              .replace(/\/+$/, '')
              .replace(/\/api\/v1$/, '')}/api/v1/projects`,
            s => s === 200,
            { headers: bearer(feast.token) },
          ).then(t => [t])
        : Promise.resolve([]),
    ]);
    const integrations: MlIntegrationStatus[] = [
      {
        id: 'kubernetes',
        title: 'Kubernetes',
        configKey: 'ml.kubernetes.clusters',
        targets: k8s,
        state: stateOf(k8s),
      },
      {
        id: 'registry',
        title: 'Model registry',
        configKey: 'ml.registries',
        targets: regs,
        state: stateOf(regs),
      },
      {
        id: 'prometheus',
        title: 'Prometheus',
        configKey: 'ml.prometheus',
        targets: prom,
        state: stateOf(prom),
      },
      {
        id: 'alertmanager',
        title: 'Alertmanager',
        configKey: 'ml.alertmanager',
        targets: am,
        state: stateOf(am),
      },
      {
        id: 'feast',
        title: 'Feast registry',
        configKey: 'catalog.providers.mlFeast',
        targets: fst,
        state: stateOf(fst),
      },
    ];
    for (const i of integrations) {
      for (const t of i.targets.filter(x => !x.reachable)) {
        this.logger.warn(
          `ML integration ${i.id}/${t.name} at ${t.host} is unreachable: ${t.error}`,
        );
      }
    }
    return {
      version: this.version,
      checkedAt: new Date().toISOString(),
      integrations,
    };
  }

  private async probeCluster(
    cluster: MlConfig['clusters'][number],
  ): Promise<MlIntegrationTarget> {
    const { name } = cluster;
    let host = cluster.url ? new URL(cluster.url).host : 'unknown';
    const started = performance.now();
    try {
      const kc = kubeConfigFor(cluster);
      host = clusterHost(kc);
      const api = kc.makeApiClient(VersionApi);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        api.getCode(),
        new Promise((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no answer within ${PROBE_TIMEOUT_MS} ms`)),
            PROBE_TIMEOUT_MS,
          );
        }),
      ]).finally(() => clearTimeout(timer));
      return {
        name,
        host,
        reachable: true,
        latencyMs: Math.round(performance.now() - started),
      };
    } catch (e) {
      return { name, host, reachable: false, error: errorText(e) };
    }
  }
}
