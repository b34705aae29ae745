import type { LoggerService } from '@backstage/backend-plugin-api';
import {
  PARAMETER_NAME_PATTERN,
  PIPELINE_RUNS_LIMITS,
  PipelineRunTrigger,
  PipelineRunTriggerType,
} from '@mlplatform/plugin-ml-common';
import {
  PipelineOrchestratorError,
  PipelineOrchestratorErrorKind,
} from '@mlplatform/plugin-ml-node';
import { createAgent, httpRequest } from '@mlplatform/plugin-ml-oci';
import type http from 'node:http';

// The ML API's limits: adapters are also called by modules, not only
// through the API, and must never send what the API would refuse.
const {
  maxParameters: MAX_PARAMETERS,
  maxParameterValueLength: MAX_PARAMETER_VALUE,
} = PIPELINE_RUNS_LIMITS;

/**
 * Throws `invalid` for parameters an orchestrator would misread or that the
 * portal's API forbids, before anything is sent.
 *
 * @internal
 */
export function validateRunParameters(
  parameters: Record<string, unknown>,
  orchestrator: string,
): Record<string, string> {
  if (
    typeof parameters !== 'object' ||
    parameters === null ||
    Array.isArray(parameters)
  ) {
    throw new PipelineOrchestratorError(
      'invalid',
      `${orchestrator} run parameters must be an object of strings`,
    );
  }
  const entries = Object.entries(parameters);
  if (entries.length > MAX_PARAMETERS) {
    throw new PipelineOrchestratorError(
      'invalid',
      `At most ${MAX_PARAMETERS} run parameters are allowed, got ${entries.length}`,
    );
  }
  for (const [name, value] of entries) {
    if (!PARAMETER_NAME_PATTERN.test(name)) {
      throw new PipelineOrchestratorError(
        'invalid',
        `Invalid run parameter name "${name.slice(
          0,
          80,
        )}": use letters, digits, _ . - (starting with a letter or _), at most 63 characters`,
      );
    }
    if (typeof value !== 'string') {
      throw new PipelineOrchestratorError(
        'invalid',
        `Run parameter "${name}" must be a string, got ${
          value === null ? 'null' : typeof value
        }`,
      );
    }
    if (value.length > MAX_PARAMETER_VALUE) {
      throw new PipelineOrchestratorError(
        'invalid',
        `Run parameter "${name}" is longer than ${MAX_PARAMETER_VALUE} characters`,
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Orchestrator values are JSON (KFP `google.protobuf.Value`, Airflow conf). */
export function stringifyParameters(
  values: Record<string, unknown> | undefined | null,
): Record<string, string> {
  if (!values || typeof values !== 'object') return {};
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : JSON.stringify(v) ?? '',
    ]),
  );
}

/** ISO 8601 in UTC, or undefined for missing or unparseable times. */
export function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

/** A whole number of runs from 1 to `max`; 20 when it is not a number. */
export function clampLimit(limit: number, max: number): number {
  if (!Number.isFinite(limit)) return Math.min(20, max);
  return Math.max(1, Math.min(max, Math.floor(limit)));
}

/** Seconds from start to finish, or to now while it has not finished. */
export function durationSeconds(
  startedAt: string | undefined,
  finishedAt: string | undefined,
  now = Date.now(),
): number | undefined {
  if (!startedAt) return undefined;
  const end = finishedAt ? Date.parse(finishedAt) : now;
  return Math.max(0, Math.round((end - Date.parse(startedAt)) / 1000));
}

/** Any other 4xx is the request's fault: the orchestrator started nothing. */
function errorKind(status: number): PipelineOrchestratorErrorKind {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not-found';
  if (status >= 500) return 'server';
  return 'invalid';
}

/** Options of {@link OrchestratorHttpClient}. */
export interface OrchestratorHttpClientOptions {
  /** Product name for messages, e.g. `Kubeflow Pipelines`. */
  product: string;
  url: string;
  token?: string;
  username?: string;
  password?: string;
  timeoutMs?: number;
  logger: LoggerService;
  /** The orchestrator's own error text from a parsed error body. */
  errorDetail(body: any): string | undefined;
}

/**
 * JSON over HTTP to one orchestrator, with its failures mapped to
 * {@link PipelineOrchestratorError} kinds. Messages name the host, never
 * the credentials.
 *
 * @internal
 */
export class OrchestratorHttpClient {
  readonly base: URL;
  readonly where: string;
  private readonly agent: http.Agent;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(private readonly options: OrchestratorHttpClientOptions) {
    let base: URL;
    try {
      base = new URL(options.url.replace(/\/+$/, ''));
    } catch {
      throw new PipelineOrchestratorError(
        'not-configured',
        `${options.product} URL is not a valid URL`,
      );
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new PipelineOrchestratorError(
        'not-configured',
        `${options.product} URL must be http or https, got ${base.protocol}`,
      );
    }
    if (base.username || base.password) {
      throw new PipelineOrchestratorError(
        'not-configured',
        `${options.product} URL must not carry credentials; configure them separately`,
      );
    }
    this.base = base;
    this.where = `${options.product} at ${base.host}`;
    this.agent = createAgent(base, { maxSockets: 8 });
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.headers = { accept: 'application/json' };
    if (options.token) {
      this.headers.authorization = `Bearer ${options.token}`;
    } else if (options.username) {
      this.headers.authorization = `Basic ${Buffer.from(
        `${options.username}:${options.password ?? ''}`,
      ).toString('base64')}`;
    }
  }

  /** Base URL without a trailing slash, for links. */
  get baseUrl(): string {
    return this.base.toString().replace(/\/+$/, '');
  }

  close(): void {
    this.agent.destroy();
  }

  async request<T>(
    method: 'GET' | 'POST',
    path: string,
    what: string,
    options: { query?: Record<string, string>; body?: unknown } = {},
  ): Promise<T> {
    const url = new URL(
      `${this.base.pathname.replace(/\/+$/, '')}${path}`,
      this.base,
    );
    for (const [k, v] of Object.entries(options.query ?? {})) {
      url.searchParams.set(k, v);
    }
    const body =
      options.body === undefined
        ? undefined
        : Buffer.from(JSON.stringify(options.body));
    const headers = { ...this.headers };
    if (body) headers['content-type'] = 'application/json';
    this.options.logger.debug(`${method} ${url.pathname} (${what})`);
    const res = await httpRequest({
      method,
      url,
      headers,
      body,
      agent: this.agent,
      timeoutMs: this.timeoutMs,
    }).catch(e => {
      const reason = (e as { code?: string }).code ?? (e as Error).message;
      throw new PipelineOrchestratorError(
        'unavailable',
        `${this.where} is unavailable while ${what}: ${reason}`,
      );
    });
    let parsed: any;
    try {
      parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status >= 200 && res.status < 300) {
      if (parsed === undefined) {
        throw new PipelineOrchestratorError(
          'server',
          `${this.where} answered with a body that is not JSON while ${what}`,
          res.status,
        );
      }
      return parsed as T;
    }
    const detail = parsed ? this.options.errorDetail(parsed) : undefined;
    const suffix = detail ? `: ${detail.slice(0, 500)}` : '';
    const kind = errorKind(res.status);
    const message =
      kind === 'unauthorized'
        ? `${this.where} refused the configured credentials while ${what} (HTTP ${res.status})`
        : `${this.where} answered HTTP ${res.status} while ${what}${suffix}`;
    throw new PipelineOrchestratorError(kind, message, res.status);
  }
}
// A readable sentence plus a machine-readable tail, so people see who
// started a run in the orchestrator's UI and listRuns reads it back.
/** Trigger markers on runs; see formatTriggerNote. */
const MARKER = /\[ml-portal-trigger (\{.*\})\]\s*$/s;
const TYPES: PipelineRunTriggerType[] = [
  'schedule',
  'manual',
  'alert',
  'unknown',
];

/**
 * The text stored on a run (Kubeflow description, Airflow note) that records
 * what started it from the portal.
 *
 * @internal
 */
export function formatTriggerNote(trigger: PipelineRunTrigger): string {
  let who = trigger.by ? `by ${trigger.by}` : `(${trigger.type})`;
  if (trigger.type === 'alert') who = `by alert ${trigger.by ?? ''}`.trimEnd();
  return `Started from the ML portal ${who}. [ml-portal-trigger ${JSON.stringify(
    { type: trigger.type, ...(trigger.by ? { by: trigger.by } : {}) },
  )}]`;
}

/**
 * Reads back what {@link formatTriggerNote} stored, or undefined for runs
 * the portal did not start.
 *
 * @internal
 */
export function parseTriggerNote(
  text: string | null | undefined,
): PipelineRunTrigger | undefined {
  const m = text ? MARKER.exec(text) : null;
  if (!m) return undefined;
  try {
    const value = JSON.parse(m[1]);
    if (!TYPES.includes(value?.type)) return undefined;
    return {
      type: value.type,
      ...(typeof value.by === 'string' && value.by ? { by: value.by } : {}),
    };
  } catch {
    return undefined;
  }
}
