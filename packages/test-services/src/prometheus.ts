import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { requireBinary, serverBinaries } from './binaries';
import { withOpenMetricsEof } from './openMetrics';
import { getFreePort } from './ports';
import {
  httpStatusIs,
  launchServer,
  makeTempDir,
  removeTempDir,
  ServerStartError,
} from './process';

const execFileAsync = promisify(execFile);

/**
 * Options for {@link startPrometheus}.
 *
 * @public
 */
export interface PrometheusOptions {
  /**
   * OpenMetrics text (timestamps in seconds) imported with promtool before
   * start; see `openMetricsSeries`. `# EOF` is appended when missing.
   * Instant queries only look back 5 minutes, so put the last sample near now.
   */
  backfill?: string;
  /** Contents of one rule file (YAML with `groups:`). */
  rules?: string;
  /** Alertmanager base URL that alerts are sent to, e.g. `http://127.0.0.1:9093`. */
  alertmanagerUrl?: string;
  /** Raw Prometheus `scrape_configs` entries (serialized as JSON, a YAML subset). */
  scrapeConfigs?: Array<Record<string, unknown>>;
  /** Rule evaluation interval; short by default so rule tests are fast. Default `1s`. */
  evaluationInterval?: string;
  /** Default scrape interval. Default `1s`. */
  scrapeInterval?: string;
  /** Extra command line flags. */
  extraArgs?: string[];
  /** Startup timeout in ms. Default 20000. */
  startTimeoutMs?: number;
}

/**
 * A series in a range query result.
 *
 * @public
 */
export interface PrometheusRangeSeries {
  metric: Record<string, string>;
  /** `[unix seconds, value as string]` pairs, as Prometheus returns them. */
  values: Array<[number, string]>;
}

/**
 * The `data` of an instant query response.
 *
 * @public
 */
export type PrometheusQueryData =
  | {
      resultType: 'vector';
      result: Array<{
        metric: Record<string, string>;
        value: [number, string];
      }>;
    }
  | { resultType: 'matrix'; result: PrometheusRangeSeries[] }
  | { resultType: 'scalar' | 'string'; result: [number, string] };

/**
 * A running Prometheus.
 *
 * @public
 */
export interface PrometheusHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  dataDir: string;
  logFile: string;
  /** Instant query; `time` in unix seconds (default: now). */
  query(promql: string, time?: number): Promise<PrometheusQueryData>;
  /** Range query; times in unix seconds, `step` in seconds or a duration string. */
  queryRange(
    promql: string,
    start: number,
    end: number,
    step: number | string,
  ): Promise<PrometheusRangeSeries[]>;
  /** Kills Prometheus and removes its temp dir. */
  stop(): Promise<void>;
}

// Prometheus' /api/v1 error responses carry the useful text in `error`.
async function apiGet(url: string): Promise<any> {
  const res = await fetch(url);
  const body = (await res.json().catch(() => undefined)) as any;
  if (!res.ok || body?.status !== 'success') {
    throw new Error(
      `Prometheus query failed (${res.status}): ${
        body?.error ?? res.statusText
      }`,
    );
  }
  return body.data;
}

function buildConfig(options: PrometheusOptions, ruleFile?: string) {
  const config: Record<string, unknown> = {
    global: {
      scrape_interval: options.scrapeInterval ?? '1s',
      evaluation_interval: options.evaluationInterval ?? '1s',
    },
    scrape_configs: options.scrapeConfigs ?? [],
  };
  if (ruleFile) config.rule_files = [ruleFile];
  if (options.alertmanagerUrl) {
    const am = new URL(options.alertmanagerUrl);
    config.alerting = {
      alertmanagers: [
        {
          scheme: am.protocol.replace(':', ''),
          path_prefix: am.pathname === '/' ? undefined : am.pathname,
          static_configs: [{ targets: [am.host] }],
        },
      ],
    };
  }
  return config;
}

async function backfill(dir: string, dataDir: string, text: string) {
  const promtool = requireBinary(serverBinaries.promtool);
  const file = path.join(dir, 'backfill.om');
  fs.writeFileSync(file, withOpenMetricsEof(text));
  try {
    // The default 2h max block duration splits long ranges into many
    // blocks; 24h keeps multi-day backfills to a few blocks.
    await execFileAsync(promtool, [
      'tsdb',
      'create-blocks-from',
      'openmetrics',
      '--max-block-duration=24h',
      file,
      dataDir,
    ]);
  } catch (error: any) {
    throw new ServerStartError(
      `promtool backfill failed: ${error.stderr || error.message}`,
    );
  }
}

/**
 * Starts a real Prometheus on 127.0.0.1 with a free port and waits until
 * `/-/ready` answers.
 *
 * @public
 */
export async function startPrometheus(
  options: PrometheusOptions = {},
): Promise<PrometheusHandle> {
  const binary = requireBinary(serverBinaries.prometheus);
  const dir = makeTempDir('prometheus');
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'prometheus.log');
  const configFile = path.join(dir, 'prometheus.yml');
  fs.mkdirSync(dataDir);

  let ruleFile: string | undefined;
  try {
    if (options.backfill?.trim()) {
      await backfill(dir, dataDir, options.backfill);
    }
    if (options.rules) {
      ruleFile = path.join(dir, 'rules.yml');
      fs.writeFileSync(ruleFile, options.rules);
    }
  } catch (error) {
    await removeTempDir(dir);
    throw error;
  }
  fs.writeFileSync(
    configFile,
    JSON.stringify(buildConfig(options, ruleFile), null, 2),
  );

  const port = await getFreePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await launchServer({
    name: 'prometheus',
    command: binary,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${dataDir}`,
      // Backfilled history may be older than the 15d default retention;
      // without this Prometheus would delete it at startup.
      '--storage.tsdb.retention.time=100y',
      `--web.listen-address=127.0.0.1:${port}`,
      // Otherwise alert generator URLs use the machine's hostname.
      `--web.external-url=${url}`,
      // Alerts reach Alertmanager in seconds instead of about a minute.
      '--rules.alert.resend-delay=1s',
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
    dataDir,
    logFile,
    stop: server.stop,
    query: (promql, time) => {
      const params = new URLSearchParams({ query: promql });
      if (time !== undefined) params.set('time', String(time));
      return apiGet(`${url}/api/v1/query?${params}`);
    },
    queryRange: async (promql, start, end, step) => {
      const params = new URLSearchParams({
        query: promql,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      const data = await apiGet(`${url}/api/v1/query_range?${params}`);
      return data.result;
    },
  };
}
