import fs from 'node:fs';
import path from 'node:path';
import { requireBinary, serverBinaries } from './binaries';
import { getFreePort } from './ports';
import { httpStatusIs, launchServer, makeTempDir } from './process';

/**
 * Options for {@link startAlertmanager}.
 *
 * @public
 */
export interface AlertmanagerOptions {
  /**
   * Full Alertmanager config (YAML). Default: a single receiver named
   * `null` that drops notifications, with `group_wait: 0s` so alerts are
   * grouped immediately.
   */
  config?: string;
  /** Extra command line flags. */
  extraArgs?: string[];
  /** Startup timeout in ms. Default 20000. */
  startTimeoutMs?: number;
}

/**
 * An alert as posted to `POST /api/v2/alerts`.
 *
 * @public
 */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  /** RFC 3339 timestamps; Alertmanager fills in defaults when omitted. */
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

/**
 * An alert as returned by `GET /api/v2/alerts` (the fields tests use).
 *
 * @public
 */
export interface GettableAlert extends PostableAlert {
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  status: {
    state: 'active' | 'suppressed' | 'unprocessed';
    silencedBy: string[];
    inhibitedBy: string[];
  };
  receivers: Array<{ name: string }>;
}

/**
 * A running Alertmanager.
 *
 * @public
 */
export interface AlertmanagerHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`; use as Prometheus' `alertmanagerUrl`. */
  url: string;
  port: number;
  logFile: string;
  /** Posts alerts via the v2 API. */
  postAlerts(alerts: PostableAlert[]): Promise<void>;
  /** Reads alerts via the v2 API; `filter` items are matchers like `alertname="X"`. */
  getAlerts(filter?: string[]): Promise<GettableAlert[]>;
  /** Kills Alertmanager and removes its temp dir. */
  stop(): Promise<void>;
}

// JSON is valid YAML, so no YAML library is needed to write the config.
const DEFAULT_CONFIG = JSON.stringify(
  {
    route: {
      receiver: 'null',
      group_wait: '0s',
      group_interval: '1s',
      repeat_interval: '1h',
    },
    receivers: [{ name: 'null' }],
  },
  null,
  2,
);

/**
 * Starts a real Alertmanager on 127.0.0.1 with a free port and waits until
 * `/-/ready` answers.
 *
 * @public
 */
export async function startAlertmanager(
  options: AlertmanagerOptions = {},
): Promise<AlertmanagerHandle> {
  const binary = requireBinary(serverBinaries.alertmanager);
  const dir = makeTempDir('alertmanager');
  const logFile = path.join(dir, 'alertmanager.log');
  const configFile = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(configFile, options.config ?? DEFAULT_CONFIG);
  fs.mkdirSync(path.join(dir, 'data'));

  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await launchServer({
    name: 'alertmanager',
    command: binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${url}`,
      // Empty disables clustering; otherwise gossip binds 0.0.0.0:9094,
      // which collides between parallel test runs.
      '--cluster.listen-address=',
      ...(options.extraArgs ?? []),
    ],
    cwd: dir,
    logFile,
    tempDir: dir,
    ready: httpStatusIs(`${url}/-/ready`),
    timeoutMs: options.startTimeoutMs ?? 20000,
  });

  return {
    url,
    port,
    logFile,
    stop: server.stop,
    async postAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) {
        throw new Error(
          `Posting alerts failed (${res.status}): ${await res.text()}`,
        );
      }
    },
    async getAlerts(filter = []) {
      const params = new URLSearchParams();
      for (const f of filter) params.append('filter', f);
      const res = await fetch(`${url}/api/v2/alerts?${params}`);
      if (!res.ok) {
        throw new Error(
          `Reading alerts failed (${res.status}): ${await res.text()}`,
        );
      }
      return (await res.json()) as GettableAlert[];
    },
  };
}
