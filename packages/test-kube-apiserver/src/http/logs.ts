/*
 * GET pods/{name}/log as the API server serves it (pkg/registry/core/pod/
 * rest/log.go and the kubelet's log options): container choice, sinceSeconds
 * or sinceTime, tailLines, timestamps, limitBytes and follow, as text/plain.
 * The lines come from the cluster's simulated PodLogs.
 */
import { randomUUID } from 'node:crypto';
import { PodLogLine } from '../podLogs';
import { StatusCause, errors } from '../status';
import { authorize } from './auth';
import { ResourceRequest } from './context';

interface LogOptions {
  container?: string;
  sinceMs?: number;
  tailLines?: number;
  limitBytes?: number;
  timestamps: boolean;
  follow: boolean;
}

function int(query: Record<string, string>, key: string): number | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v)) {
    throw errors.badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  }
  return Number(v);
}

const bool = (v: string | undefined) => v === 'true' || v === '1';

/** The PodLogOptions of a query, validated as ValidatePodLogOptions does. */
function logOptions(query: Record<string, string>, pod: string): LogOptions {
  const tailLines = int(query, 'tailLines');
  const limitBytes = int(query, 'limitBytes');
  const sinceSeconds = int(query, 'sinceSeconds');
  let sinceTimeMs: number | undefined;
  if (query.sinceTime !== undefined) {
    sinceTimeMs = Date.parse(query.sinceTime);
    if (
      Number.isNaN(sinceTimeMs) ||
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(
        query.sinceTime,
      )
    ) {
      throw errors.badRequest(
        `parsing time "${query.sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${query.sinceTime}" as "2006"`,
      );
    }
  }
  const causes: StatusCause[] = [];
  const invalid = (field: string, value: number, message: string) =>
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${value}: ${message}`,
      field,
    });
  if (tailLines !== undefined && tailLines < 0)
    invalid('tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1)
    invalid('limitBytes', limitBytes, 'must be greater than 0');
  if (sinceSeconds !== undefined && sinceTimeMs !== undefined) {
    causes.push({
      reason: 'FieldValueForbidden',
      message:
        'Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified',
    });
  } else if (sinceSeconds !== undefined && sinceSeconds < 1) {
    invalid('sinceSeconds', sinceSeconds, 'must be greater than 0');
  }
  if (causes.length) throw errors.invalid('PodLogOptions', '', pod, causes);
  return {
    container: query.container || undefined,
    sinceMs:
      sinceSeconds !== undefined
        ? Date.now() - sinceSeconds * 1000
        : sinceTimeMs,
    tailLines,
    limitBytes,
    timestamps: bool(query.timestamps),
    follow: bool(query.follow),
  };
}

/** The container a log request reads, as the pod strategy picks it. */
function containerOf(pod: any, asked?: string): string {
  const name = pod.metadata.name;
  const names: string[] = (pod.spec?.containers ?? []).map((c: any) => c.name);
  const inits: string[] = (pod.spec?.initContainers ?? []).map(
    (c: any) => c.name,
  );
  if (!asked) {
    if (names.length === 1) return names[0];
    if (names.length === 0)
      throw errors.badRequest(
        `a container name must be specified for pod ${name}`,
      );
    let message = `a container name must be specified for pod ${name}, choose one of: [${names.join(
      ' ',
    )}]`;
    if (inits.length)
      message += ` or one of the init containers: [${inits.join(' ')}]`;
    throw errors.badRequest(message);
  }
  if (![...names, ...inits].includes(asked))
    throw errors.badRequest(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

/** GET pods/{name}/log. */
export function getPodLog(rr: ResourceRequest): void {
  const { cluster, res, route: r, type: t, query } = rr;
  rr.record.verb = 'get';
  authorize(rr.user, 'get', r);
  const pod = cluster.get(t, r.namespace, r.name!);
  const opts = logOptions(query, r.name!);
  const container = containerOf(pod, opts.container);
  const uid: string = pod.metadata.uid;
  const logs = cluster.podLogs;
  // An unscheduled pod has no kubelet to ask: the server answers with nothing.
  if (!pod.spec?.nodeName) {
    res.writeHead(200, headers()).end();
    return;
  }
  if (!logs.has(uid, container)) {
    throw errors.badRequest(
      `container "${container}" in pod "${r.name}" is waiting to start: ContainerCreating`,
    );
  }
  let lines = logs
    .read(uid, container)
    .filter(l => opts.sinceMs === undefined || l.ms >= opts.sinceMs);
  if (opts.tailLines !== undefined)
    lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);

  let budget = opts.limitBytes ?? Infinity;
  const format = (l: PodLogLine) =>
    `${opts.timestamps ? `${l.time} ` : ''}${l.text}\n`;
  /** Writes what the byte limit allows; false once it is spent. */
  const write = (l: PodLogLine): boolean => {
    const buf = Buffer.from(format(l), 'utf8');
    if (buf.length >= budget) {
      res.write(buf.subarray(0, budget));
      budget = 0;
      return false;
    }
    budget -= buf.length;
    res.write(buf);
    return true;
  };

  res.writeHead(200, headers());
  for (const l of lines) {
    if (!write(l)) {
      res.end();
      return;
    }
  }
  if (!opts.follow || logs.terminated(uid, container)) {
    res.end();
    return;
  }
  // Until the client goes away, the container exits or the server stops.
  res.flushHeaders();
  rr.watches.add(res);
  const stop = logs.follow(
    uid,
    container,
    l => {
      if (!write(l)) finish();
    },
    () => finish(),
  );
  function finish() {
    stop();
    rr.watches.delete(res);
    if (!res.writableEnded) res.end();
  }
  res.on('close', finish);
}

function headers() {
  return {
    'Content-Type': 'text/plain',
    'Cache-Control': 'no-cache, private',
    'Audit-Id': randomUUID(),
  };
}
