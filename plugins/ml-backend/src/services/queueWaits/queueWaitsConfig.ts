import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { DEFAULT_GPU_HOURS_MAX_DAYS } from '@mlplatform/plugin-ml-common';

/** `ml.queueWaits` and `ml.gpuHours`, read and checked. @internal */
export interface QueueInsightsConfig {
  queueWaits: {
    /** Admissions below which an estimate says "not enough history". */
    minSamples: number;
    /** Days of admissions an estimate draws on. */
    historyDays: number;
    /** How often the backend lists Kueue Workloads for new admissions. */
    observeSeconds: number;
  };
  gpuHours: {
    /** Longest window a GPU-hours request may ask for. */
    maxDays: number;
  };
  /** Label naming the cluster on Prometheus series (kube-state-metrics, Kueue). */
  clusterLabel: string;
}

function readInt(
  config: Config | undefined,
  path: string,
  key: string,
  fallback: number,
  min: number,
  max: number,
): number {
  let value: number | undefined;
  try {
    value = config?.getOptionalNumber(key);
  } catch {
    value = NaN;
  }
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError(
      `ml config: ${path}.${key} must be a whole number between ${min} and ${max}`,
    );
  }
  return n;
}

/** Reads `ml.queueWaits`, `ml.gpuHours` and `ml.prometheusClusterLabel`. @internal */
export function readQueueInsightsConfig(root: Config): QueueInsightsConfig {
  const waits = root.getOptionalConfig('ml.queueWaits');
  const hours = root.getOptionalConfig('ml.gpuHours');
  const clusterLabel =
    root.getOptionalString('ml.prometheusClusterLabel') ?? 'cluster';
  if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(clusterLabel)) {
    throw new InputError(
      `ml config: ml.prometheusClusterLabel must be a Prometheus label name, got "${clusterLabel}"`,
    );
  }
  return {
    queueWaits: {
      minSamples: readInt(waits, 'ml.queueWaits', 'minSamples', 10, 3, 10_000),
      historyDays: readInt(waits, 'ml.queueWaits', 'historyDays', 30, 1, 365),
      observeSeconds: readInt(
        waits,
        'ml.queueWaits',
        'observeSeconds',
        60,
        10,
        3600,
      ),
    },
    gpuHours: {
      maxDays: readInt(
        hours,
        'ml.gpuHours',
        'maxDays',
        DEFAULT_GPU_HOURS_MAX_DAYS,
        1,
        366,
      ),
    },
    clusterLabel,
  };
}
