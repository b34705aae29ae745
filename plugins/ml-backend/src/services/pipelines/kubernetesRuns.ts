import type { LoggerService } from '@backstage/backend-plugin-api';
import { NotFoundError } from '@backstage/errors';
import {
  DNS_SUBDOMAIN_PATTERN,
  isDnsLabel,
  PipelineEntityV1alpha1,
  PipelineRun,
  PipelineRunTrigger,
  PipelineRunTriggerType,
} from '@mlplatform/plugin-ml-common';
import { PipelineOrchestratorError } from '@mlplatform/plugin-ml-node';
import { ClusterService, KubeList } from '../kubernetes/ClusterService';
import {
  KubeApiError,
  KubeClient,
  KubeRequestIntent,
} from '../kubernetes/KubeClient';

/** Labels and annotations the portal reads and writes on Jobs and Workflows. @internal */
export const RUN_KEYS = {
  /** Label: the `spec.orchestrator.id` of the Pipeline a Job belongs to. */
  pipeline: 'mlplatform.io/pipeline',
  /** Annotation: `schedule`, `manual` or `alert`. */
  trigger: 'mlplatform.io/trigger',
  /** Annotation: a user entity ref, or `<alertname> <fingerprint>`. */
  triggeredBy: 'mlplatform.io/triggered-by',
  modelVersion: 'mlplatform.io/model-version',
  /** Annotation: comma-separated dataset digests (a JSON array also works). */
  datasetDigests: 'mlplatform.io/dataset-digests',
  tensorboardUrl: 'mlplatform.io/tensorboard-url',
} as const;

const TRIGGERS: PipelineRunTriggerType[] = [
  'schedule',
  'manual',
  'alert',
  'unknown',
];

/** Where a pipeline's runs live. @internal */
export interface RunsTarget {
  cluster: string;
  namespace: string;
  id: string;
  client: KubeClient;
}

/**
 * The cluster (`spec.orchestrator.cluster`, else the first configured one),
 * namespace (`spec.orchestrator.namespace`, else `default`) and client of a
 * pipeline, or a `not-configured`/`invalid` error.
 *
 * @internal
 */
export function runsTarget(
  clusters: ClusterService,
  pipeline: PipelineEntityV1alpha1,
  product: string,
): RunsTarget {
  const { id, namespace = 'default', cluster } = pipeline.spec.orchestrator;
  const name = cluster ?? clusters.names()[0];
  if (!name) {
    throw new PipelineOrchestratorError(
      'not-configured',
      `${product} runs of ${id} need a cluster, and ml.kubernetes.clusters is empty`,
    );
  }
  if (!DNS_SUBDOMAIN_PATTERN.test(id) || id.length > 253) {
    throw new PipelineOrchestratorError(
      'invalid',
      `"${id.slice(0, 80)}" is not a valid Kubernetes object name`,
    );
  }
  if (!isDnsLabel(namespace)) {
    throw new PipelineOrchestratorError(
      'invalid',
      `"${namespace.slice(0, 80)}" is not a valid Kubernetes namespace`,
    );
  }
  let handle;
  try {
    handle = clusters.get(name);
  } catch (e) {
    if (e instanceof NotFoundError) {
      throw new PipelineOrchestratorError('not-configured', e.message);
    }
    throw e;
  }
  if (!handle.client) {
    throw new PipelineOrchestratorError('not-configured', handle.error!);
  }
  return { cluster: name, namespace, id, client: handle.client };
}

/**
 * One request to the cluster, its failures mapped to orchestrator error
 * kinds; `notFound` is the message for a 404 (what was looked for).
 *
 * @internal
 */
export async function kubeCall<T>(
  target: RunsTarget,
  method: 'GET' | 'POST',
  path: string,
  intent: KubeRequestIntent,
  options: { body?: unknown; notFound?: string } = {},
): Promise<T> {
  try {
    return await target.client.request<T>(method, path, intent, {
      body: options.body,
    });
  } catch (e) {
    if (!(e instanceof KubeApiError)) throw e;
    const status = e.status;
    if (status === 404 && options.notFound) {
      throw new PipelineOrchestratorError('not-found', options.notFound, 404);
    }
    if (status === 401 || status === 403) {
      throw new PipelineOrchestratorError('unauthorized', e.message, status);
    }
    if (status === undefined) {
      throw new PipelineOrchestratorError('unavailable', e.message);
    }
    throw new PipelineOrchestratorError('server', e.message, status);
  }
}

/** Objects per list page. */
const PAGE = 500;
const MAX_PAGES = 10;

/**
 * All objects of a list (pages of 500, at most 5,000). The API server orders
 * lists by name, not time, so `limit` can't pick the newest: callers sort.
 *
 * @internal
 */
export async function listAll<T>(
  target: RunsTarget,
  path: string,
  query: Record<string, string>,
  intent: KubeRequestIntent,
  notFound: string,
  logger: LoggerService,
): Promise<T[]> {
  const items: T[] = [];
  let cont: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await kubeCall<KubeList<T>>(
      target,
      'GET',
      `${path}${listQuery({ ...query, limit: String(PAGE), continue: cont })}`,
      intent,
      { notFound },
    );
    items.push(...list.items);
    cont = list.metadata?.continue || undefined;
    if (!cont) return items;
  }
  logger.warn(
    `${intent.resource} in namespace ${target.namespace} on cluster ${
      target.cluster
    }${query.labelSelector ? ` (${query.labelSelector})` : ''}: more than ${
      PAGE * MAX_PAGES
    }, only the first ${PAGE * MAX_PAGES} were read`,
  );
  return items;
}

/** Query string of a list call. */
export function listQuery(params: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** The trigger recorded in our annotations, if any. */
export function annotatedTrigger(
  annotations: Record<string, string> | undefined,
): PipelineRunTrigger | undefined {
  const type = annotations?.[RUN_KEYS.trigger] as PipelineRunTriggerType;
  if (!type || !TRIGGERS.includes(type)) return undefined;
  const by = annotations?.[RUN_KEYS.triggeredBy];
  return by ? { type, by } : { type };
}

/** Annotations that record a trigger on a run the portal starts. */
export function triggerAnnotations(
  trigger: PipelineRunTrigger,
): Record<string, string> {
  return {
    [RUN_KEYS.trigger]: trigger.type,
    ...(trigger.by ? { [RUN_KEYS.triggeredBy]: trigger.by } : {}),
  };
}

/** Model version, dataset digests and Tensorboard from annotations. */
export function annotatedOutputs(
  annotations: Record<string, string> | undefined,
): Pick<
  PipelineRun,
  'producedModelVersion' | 'datasetDigests' | 'tensorboardUrl'
> {
  const out: Pick<
    PipelineRun,
    'producedModelVersion' | 'datasetDigests' | 'tensorboardUrl'
  > = {};
  const version = annotations?.[RUN_KEYS.modelVersion]?.trim();
  if (version) out.producedModelVersion = version;
  const digests = parseDigests(annotations?.[RUN_KEYS.datasetDigests]);
  if (digests.length) out.datasetDigests = digests;
  const tensorboard = annotations?.[RUN_KEYS.tensorboardUrl]?.trim();
  if (tensorboard && /^https?:\/\//.test(tensorboard)) {
    out.tensorboardUrl = tensorboard;
  }
  return out;
}

function parseDigests(value: string | undefined): string[] {
  const text = value?.trim();
  if (!text) return [];
  if (text.startsWith('[')) {
    try {
      const list = JSON.parse(text);
      if (Array.isArray(list)) {
        return list.filter((d): d is string => typeof d === 'string' && !!d);
      }
    } catch {
      // not JSON after all: read it as a comma-separated list
    }
  }
  return text
    .split(',')
    .map(d => d.trim())
    .filter(Boolean);
}

/** Newest first by start time, else creation time; at most `limit`. */
export function newestFirst(runs: PipelineRun[], limit: number): PipelineRun[] {
  const at = (r: PipelineRun) =>
    Date.parse(r.startedAt ?? r.createdAt ?? '') || 0;
  return [...runs]
    .sort((a, b) => at(b) - at(a) || b.id.localeCompare(a.id))
    .slice(0, limit);
}

/** `generateName` for a run of `id`, short enough for a 63-character name. */
export function runGenerateName(id: string): string {
  return `${id.slice(0, 57).replace(/[-.]+$/, '')}-`;
}
