import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { formatIdleDuration } from '@mlplatform/plugin-ml-common';

/** `ml.notebooks.idle`, read and checked, durations in seconds. @internal */
export interface IdleConfig {
  /** Percent GPU utilisation below which a GPU counts as idle. */
  threshold: number;
  /** How long every GPU of a notebook must stay below it. */
  afterSeconds: number;
  /** What the scheduled policy does; no policy when absent. */
  action?: 'notify' | 'stop';
  /** With `stop`: how long after the warning the notebook is stopped. */
  warningSeconds: number;
  /** How often the policy runs. */
  frequencySeconds: number;
  /**
   * The label naming a series' cluster when one Prometheus holds several
   * clusters' DCGM series (its value is the cluster's name in ml.kubernetes).
   */
  clusterLabel?: string;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Seconds of a duration written `90s`, `30m`, `3h`, `1d` or `1h30m`;
 * undefined when it is not one.
 *
 * @internal
 */
export function parseDuration(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^(\d+[smhd])+$/.test(trimmed)) return undefined;
  let seconds = 0;
  for (const [, n, unit] of trimmed.matchAll(/(\d+)([smhd])/g)) {
    seconds += Number(n) * UNITS[unit];
  }
  return seconds;
}

/** A duration as people read it; ml-common's, shared with the cards. @internal */
export const formatDuration = formatIdleDuration;

function readDuration(
  config: Config,
  key: string,
  fallback: string,
  minSeconds: number,
): number {
  const path = `ml.notebooks.idle.${key}`;
  let raw: string;
  try {
    raw = config.getOptionalString(key) ?? fallback;
  } catch {
    throw new InputError(
      `ml config: ${path} must be a duration such as 30m, 3h or 1d`,
    );
  }
  const seconds = parseDuration(raw);
  if (seconds === undefined) {
    throw new InputError(
      `ml config: ${path} is "${raw}", not a duration such as 30m, 3h or 1d`,
    );
  }
  if (seconds < minSeconds) {
    throw new InputError(
      `ml config: ${path} is ${raw}; it must be at least ${formatDuration(
        minSeconds,
      )}`,
    );
  }
  return seconds;
}

/**
 * Reads `ml.notebooks.idle`. Detection needs only `ml.prometheus`, so the
 * defaults (5 % for 1h, no action) apply when the section is absent; the
 * policy runs only with an `action`.
 *
 * @internal
 */
export function readIdleConfig(root: Config): IdleConfig {
  const config = root.getOptionalConfig('ml.notebooks.idle');
  if (!config) {
    return {
      threshold: 5,
      afterSeconds: 3600,
      warningSeconds: 3600,
      frequencySeconds: 300,
    };
  }
  let threshold: number;
  try {
    threshold = config.getOptionalNumber('threshold') ?? 5;
  } catch {
    threshold = NaN;
  }
  if (!(threshold > 0 && threshold <= 100)) {
    throw new InputError(
      `ml config: ml.notebooks.idle.threshold must be a percent of GPU utilisation in (0, 100], got ${JSON.stringify(
        config.getOptional('threshold'),
      )}`,
    );
  }
  const action = config.getOptional('action');
  if (action !== undefined && action !== 'notify' && action !== 'stop') {
    throw new InputError(
      `ml config: ml.notebooks.idle.action must be notify or stop, got ${JSON.stringify(
        action,
      )}`,
    );
  }
  const clusterLabel = config.getOptional('clusterLabel');
  if (
    clusterLabel !== undefined &&
    (typeof clusterLabel !== 'string' ||
      !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(clusterLabel) ||
      ['namespace', 'pod', 'ml_stat'].includes(clusterLabel))
  ) {
    throw new InputError(
      `ml config: ml.notebooks.idle.clusterLabel must be a Prometheus label name other than namespace and pod, got ${JSON.stringify(
        clusterLabel,
      )}`,
    );
  }
  return {
    ...(clusterLabel ? { clusterLabel: clusterLabel as string } : {}),
    threshold,
    // Prometheus scrapes DCGM every 15-60s: a shorter window says nothing.
    afterSeconds: readDuration(config, 'after', '1h', 60),
    ...(action ? { action } : {}),
    warningSeconds: readDuration(config, 'warning', '1h', 0),
    frequencySeconds: readDuration(config, 'frequency', '5m', 1),
  };
}
