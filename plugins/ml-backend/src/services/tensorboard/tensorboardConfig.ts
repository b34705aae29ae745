import type { BackstageCredentials } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import {
  ExperimentEntityRef,
  TENSORBOARD_LOGDIR_TAG,
} from '@mlplatform/plugin-ml-common';
import path from 'node:path';
import type { ExperimentsService } from '../experiments/ExperimentsService';

/** `ml.tensorboard`, read and checked. @internal */
export interface TensorBoardConfig {
  /** Base URL of the TensorBoard the backend reads, without a trailing slash. */
  url: string;
  /** Base URL the browser opens, without a trailing slash. */
  publicUrl: string;
  /** Absolute, normalised directories a run's log dir must be under. */
  logRoots: string[];
  requestTimeoutMs: number;
  /** A TensorBoard per run on a Kubeflow cluster, when configured. */
  kubeflow?: KubeflowTensorBoardConfig;
  /** A TensorBoard per run as a process of the backend, when configured. */
  local?: LocalTensorBoardConfig;
}

/** `ml.tensorboard.local`, read and checked. @internal */
export interface LocalTensorBoardConfig {
  /** The `tensorboard` executable. */
  command: string;
  /** The address it listens on. */
  host: string;
  /** The host the browser opens it at. */
  publicHost: string;
  /** Live TensorBoards one user may have. */
  maxPerUser: number;
}

/** `ml.tensorboard.kubeflow`, read and checked. @internal */
export interface KubeflowTensorBoardConfig {
  /** A cluster of `ml.kubernetes.clusters`. */
  cluster: string;
  /** Base URL of Kubeflow's gateway: a TensorBoard is at `<url>/tensorboard/<namespace>/<name>/`. */
  url: string;
  /** Where each log root is on the cluster: a PVC of a team's namespace. */
  volumes: Array<{ logRoot: string; namespace: string; claim: string }>;
  /** Live TensorBoards one user may have per namespace. */
  maxPerUser: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function readBaseUrl(config: Config, key: string): string {
  const value = config.getString(key);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError(
      `ml config: ml.tensorboard.${key} is not a URL: "${value}"`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InputError(
      `ml config: ml.tensorboard.${key} must be http(s), got ${url.protocol}`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new InputError(
      `ml config: ml.tensorboard.${key} must be a plain base URL`,
    );
  }
  return value.replace(/\/+$/, '');
}

/**
 * Reads `ml.tensorboard`; undefined when it is absent. The URL is the only
 * TensorBoard the backend contacts: a run's tag names a directory, never a
 * host.
 *
 * @internal
 */
export function readTensorBoardConfig(
  root: Config,
  clusterNames: string[] = [],
): TensorBoardConfig | undefined {
  const config = root.getOptionalConfig('ml.tensorboard');
  if (!config) return undefined;
  const url = readBaseUrl(config, 'url');
  const logRoots = config.getStringArray('logRoots').map((dir, i) => {
    if (!path.posix.isAbsolute(dir)) {
      throw new InputError(
        `ml config: ml.tensorboard.logRoots[${i}] must be an absolute path, got "${dir}"`,
      );
    }
    return path.posix.normalize(dir).replace(/(.)\/+$/, '$1');
  });
  if (logRoots.length === 0) {
    throw new InputError(
      'ml config: ml.tensorboard.logRoots must name at least one directory',
    );
  }
  const timeout = config.getOptionalNumber('requestTimeoutSeconds') ?? 10;
  if (!(timeout > 0)) {
    throw new InputError(
      'ml config: ml.tensorboard.requestTimeoutSeconds must be a positive number',
    );
  }
  const kubeflow = config.getOptionalConfig('kubeflow');
  const local = config.getOptionalConfig('local');
  if (kubeflow && local) {
    throw new InputError(
      "ml config: ml.tensorboard.kubeflow and ml.tensorboard.local are both set; a run's own TensorBoard runs in one place",
    );
  }
  return {
    url,
    publicUrl: config.has('publicUrl') ? readBaseUrl(config, 'publicUrl') : url,
    logRoots,
    requestTimeoutMs: timeout * 1000,
    ...(kubeflow
      ? { kubeflow: readKubeflow(kubeflow, logRoots, clusterNames) }
      : {}),
    ...(local ? { local: readLocal(local) } : {}),
  };
}

function readLocal(config: Config): LocalTensorBoardConfig {
  const key = 'ml config: ml.tensorboard.local';
  const command = config.getString('command');
  if (!path.isAbsolute(command)) {
    throw new InputError(
      `${key}.command must be the absolute path of the tensorboard executable, got "${command}"`,
    );
  }
  const host = config.getOptionalString('host') ?? '127.0.0.1';
  const publicHost = config.getOptionalString('publicHost') ?? host;
  for (const [field, value] of [
    ['host', host],
    ['publicHost', publicHost],
  ]) {
    if (!/^[A-Za-z0-9.-]+$|^\[[0-9a-fA-F:]+\]$/.test(value)) {
      throw new InputError(`${key}.${field} "${value}" is not a host name`);
    }
  }
  const maxPerUser = config.getOptionalNumber('maxPerUser') ?? 2;
  if (!Number.isInteger(maxPerUser) || maxPerUser < 1) {
    throw new InputError(`${key}.maxPerUser must be a positive integer`);
  }
  return { command, host, publicHost, maxPerUser };
}

function readKubeflow(
  config: Config,
  logRoots: string[],
  clusterNames: string[],
): KubeflowTensorBoardConfig {
  const key = 'ml config: ml.tensorboard.kubeflow';
  const cluster = config.getString('cluster');
  if (!clusterNames.includes(cluster)) {
    throw new InputError(
      `${key}.cluster "${cluster}" is not in ml.kubernetes.clusters (${
        clusterNames.join(', ') || 'none'
      })`,
    );
  }
  const volumes = config.getConfigArray('volumes').map((v, i) => {
    const logRoot = path.posix
      .normalize(v.getString('logRoot'))
      .replace(/(.)\/+$/, '$1');
    if (!logRoots.includes(logRoot)) {
      throw new InputError(
        `${key}.volumes[${i}].logRoot "${logRoot}" is not one of ml.tensorboard.logRoots (${logRoots.join(
          ', ',
        )})`,
      );
    }
    const namespace = v.getString('namespace');
    const claim = v.getString('claim');
    for (const [field, value] of [
      ['namespace', namespace],
      ['claim', claim],
    ]) {
      if (value.length > 63 || !DNS_LABEL.test(value)) {
        throw new InputError(
          `${key}.volumes[${i}].${field} "${value}" is not a DNS-1123 label`,
        );
      }
    }
    return { logRoot, namespace, claim };
  });
  const maxPerUser = config.getOptionalNumber('maxPerUser') ?? 2;
  if (!Number.isInteger(maxPerUser) || maxPerUser < 1) {
    throw new InputError(`${key}.maxPerUser must be a positive integer`);
  }
  const url = config.getString('url');
  try {
    new URL(url); // eslint-disable-line no-new
  } catch {
    throw new InputError(`${key}.url is not a URL: "${url}"`);
  }
  return { cluster, url: url.replace(/\/+$/, ''), volumes, maxPerUser };
}

/**
 * The log dir a run's tag names, checked: an absolute path without `..`
 * segments or control characters, inside one of `logRoots`.
 *
 * @throws InputError naming the tag, the value and the roots.
 * @internal
 */
export function checkLogDir(
  value: string,
  logRoots: string[],
  tag: string,
): string {
  const refuse = (why: string) =>
    new InputError(
      `The run's ${tag} tag "${value.slice(
        0,
        300,
      )}" ${why}; allowed roots (ml.tensorboard.logRoots): ${logRoots.join(
        ', ',
      )}`,
    );
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw refuse('holds control characters');
  }
  if (!path.posix.isAbsolute(value)) {
    throw refuse('is not an absolute path');
  }
  if (value.split('/').includes('..')) {
    throw refuse('has a .. segment');
  }
  const dir = path.posix.normalize(value).replace(/(.)\/+$/, '$1');
  const inside = logRoots.some(rootDir => {
    const rel = path.posix.relative(rootDir, dir);
    return rel === '' || (!rel.startsWith('..') && !path.posix.isAbsolute(rel));
  });
  if (!inside) throw refuse('is outside the configured log roots');
  return dir;
}

/**
 * A run's TensorBoard log dir, read with the caller's credentials and
 * checked against `logRoots`: what every launcher starts from. A run without
 * the tag is a 400 naming it.
 *
 * @internal
 */
export async function runLogDir(
  experiments: Pick<ExperimentsService, 'getRun'>,
  logRoots: string[],
  ref: ExperimentEntityRef,
  runId: string,
  credentials: BackstageCredentials,
): Promise<{ entityRef: string; logDir: string }> {
  const { entityRef, run } = await experiments.getRun(ref, runId, credentials);
  if (!run.tensorboardLogDir) {
    throw new InputError(
      `Run ${runId} of ${entityRef} names no TensorBoard log dir (MLflow run tag ${TENSORBOARD_LOGDIR_TAG})`,
    );
  }
  return {
    entityRef,
    logDir: checkLogDir(
      run.tensorboardLogDir,
      logRoots,
      TENSORBOARD_LOGDIR_TAG,
    ),
  };
}
