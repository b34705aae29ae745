import http from 'node:http';
import { AddressInfo } from 'node:net';
import { openMetricsSeries } from './openMetrics';

/**
 * One GPU as NVIDIA's DCGM exporter reports it with its Kubernetes pod
 * mapping: the pod (and namespace) it is allocated to.
 *
 * @public
 */
export interface DcgmGpu {
  namespace: string;
  pod: string;
  /** Device index on its node; default `0`. */
  gpu?: string;
  /** `DCGM_FI_DEV_GPU_UTIL`, percent, at unix second `t`. */
  utilization: number | ((t: number) => number);
  /** More labels, e.g. the `cluster` a Prometheus' external labels add. */
  labels?: Record<string, string>;
}

function labelsOf(g: DcgmGpu): Record<string, string> {
  const gpu = g.gpu ?? '0';
  return {
    namespace: g.namespace,
    pod: g.pod,
    container: 'notebook',
    gpu,
    UUID: `GPU-${Object.values(g.labels ?? {}).join('-')}${g.namespace}-${
      g.pod
    }-${gpu}`,
    modelName: 'NVIDIA A100-SXM4-80GB',
    Hostname: 'gpu-node-1',
    ...g.labels,
  };
}

const utilizationAt = (g: DcgmGpu, t: number) =>
  typeof g.utilization === 'number' ? g.utilization : g.utilization(t);

/**
 * OpenMetrics history of `DCGM_FI_DEV_GPU_UTIL` for these GPUs, for
 * `startPrometheus({ backfill })`: one sample per `stepSeconds` for `hours`
 * up to `now` (unix seconds).
 *
 * @public
 */
export function dcgmBackfill(
  gpus: DcgmGpu[],
  options: { now?: number; hours?: number; stepSeconds?: number } = {},
): string {
  const now = Math.floor(options.now ?? Date.now() / 1000);
  const step = options.stepSeconds ?? 30;
  const count = Math.floor(((options.hours ?? 3) * 3600) / step);
  return gpus
    .map(g => {
      const points: Array<[number, number]> = [];
      for (let i = count; i >= 0; i--) {
        const t = now - i * step;
        points.push([t, utilizationAt(g, t)]);
      }
      return openMetricsSeries('DCGM_FI_DEV_GPU_UTIL', labelsOf(g), points);
    })
    .join('');
}

/**
 * A running DCGM exporter stand-in.
 *
 * @public
 */
export interface DcgmExporter {
  url: string;
  /** `scrape_configs` for `startPrometheus({ scrapeConfigs })`. */
  scrapeConfigs: Array<Record<string, unknown>>;
  /** Replaces the GPUs served from the next scrape on. */
  setGpus(gpus: DcgmGpu[]): void;
  stop(): Promise<void>;
}

/**
 * Serves `DCGM_FI_DEV_GPU_UTIL` of the given GPUs at `/metrics` on
 * 127.0.0.1 in the Prometheus text format, with the labels of NVIDIA's
 * dcgm-exporter (namespace, pod, container, gpu, UUID, modelName,
 * Hostname), so a Prometheus scraping it holds what a cluster's would.
 * Test infrastructure, not the exporter itself (that needs a GPU).
 *
 * @public
 */
export async function startDcgmExporter(
  initial: DcgmGpu[],
): Promise<DcgmExporter> {
  let gpus = initial;
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    const t = Date.now() / 1000;
    const lines = gpus.map(g => {
      const labels = Object.entries(labelsOf(g))
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      return `DCGM_FI_DEV_GPU_UTIL{${labels}} ${utilizationAt(g, t)}\n`;
    });
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(
      `# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n${lines.join(
        '',
      )}`,
    );
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    scrapeConfigs: [
      {
        job_name: 'dcgm-exporter',
        // The series carry the pod's namespace and pod, as the real
        // exporter's do; they must not be renamed to exported_*.
        honor_labels: true,
        scrape_interval: '1s',
        static_configs: [{ targets: [`127.0.0.1:${port}`] }],
      },
    ],
    setGpus(next) {
      gpus = next;
    },
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close(error => (error ? reject(error) : resolve()));
      }),
  };
}
