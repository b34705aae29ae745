import { Config } from '@backstage/config';
import { InputError } from '@backstage/errors';
import { LOG_LIMITS, durationSeconds } from '@mlplatform/plugin-ml-common';

/** `ml.logs.loki`, read and checked. @internal */
export interface LokiConfig {
  url: string;
  maxWindowSeconds: number;
  tenant?: string;
  token?: string;
  timeoutMs: number;
}

/** `ml.logs`, read and checked. @internal */
export interface LogsConfig {
  maxTailLines: number;
  loki?: LokiConfig;
}

const DEFAULT_MAX_TAIL = 5000;
const DEFAULT_MAX_WINDOW = '24h';

/**
 * Reads `ml.logs` (see config.d.ts); `readUrl` is the config reader's URL
 * check, so the Loki URL is refused for the same reasons as the others.
 *
 * @internal
 */
export function readLogsConfig(
  config: Config | undefined,
  readUrl: (config: Config, key: string, path: string) => string,
): LogsConfig {
  const maxTailLines =
    config?.getOptionalNumber('maxTailLines') ?? DEFAULT_MAX_TAIL;
  if (
    !Number.isInteger(maxTailLines) ||
    maxTailLines < 1 ||
    maxTailLines > LOG_LIMITS.maxTail
  ) {
    throw new InputError(
      `ml config: ml.logs.maxTailLines must be a whole number from 1 to ${LOG_LIMITS.maxTail}, got ${maxTailLines}`,
    );
  }
  const loki = config?.getOptionalConfig('loki');
  if (!loki) return { maxTailLines };
  const window = loki.getOptionalString('maxWindow') ?? DEFAULT_MAX_WINDOW;
  const maxWindowSeconds = durationSeconds(window);
  if (!maxWindowSeconds) {
    throw new InputError(
      `ml config: ml.logs.loki.maxWindow must be a duration such as 6h or 1d, got "${window}"`,
    );
  }
  return {
    maxTailLines,
    loki: {
      url: readUrl(loki, 'url', 'ml.logs.loki'),
      maxWindowSeconds,
      tenant: loki.getOptionalString('tenant'),
      token: loki.getOptionalString('token'),
      timeoutMs: (loki.getOptionalNumber('timeoutSeconds') ?? 15) * 1000,
    },
  };
}
