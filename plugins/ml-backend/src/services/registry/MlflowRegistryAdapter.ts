import { MODEL_ALIAS_PATTERN } from '@mlplatform/plugin-ml-common';
import {
  ModelRegistryAdapter,
  ModelRegistryAliasResult,
  ModelRegistryError,
  ModelRegistryVersion,
} from '@mlplatform/plugin-ml-node';
import {
  compareVersionsNewestFirst,
  createAgent,
  httpRequest,
} from '@mlplatform/plugin-ml-oci';
import type http from 'node:http';

/** @internal */
export interface MlflowEndpoint {
  name: string;
  /** Tracking server base URL, e.g. `https://mlflow.example.com`. */
  url: string;
  username?: string;
  password?: string;
  token?: string;
  ca?: string | Buffer;
}

type KeyValue = { key: string; value: string };

interface MlflowModelVersion {
  name: string;
  version: string;
  creation_timestamp?: number | string;
  run_id?: string;
  run_link?: string;
  source?: string;
  status?: string;
  tags?: KeyValue[];
  aliases?: string[];
}

interface MlflowRun {
  info: { run_id: string; experiment_id: string };
  data?: { metrics?: Array<{ key: string; value: number }> };
  inputs?: {
    dataset_inputs?: Array<{ dataset?: { name?: string; digest?: string } }>;
  };
}

const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;
// MLflow reserves aliases of the form v<number> for version references.
const RESERVED_ALIAS = /^v[0-9]+$/i;

/**
 * Parses `mlflow://<registered model name>`.
 *
 * @internal
 */
export function parseMlflowRef(ref: string): string {
  const m = /^mlflow:\/\/(.*)$/.exec(ref);
  if (!m || !MODEL_NAME.test(m[1])) {
    throw new ModelRegistryError(
      'invalid-ref',
      `Invalid registry ref "${ref}": expected mlflow://<registered model name> (letters, digits, . _ -)`,
    );
  }
  return m[1];
}

/**
 * Model versions and aliases in an MLflow model registry, over its REST API
 * (`/api/2.0/mlflow/...`). Metrics and training datasets come from each
 * version's source run; run links point at the tracking UI.
 *
 * @internal
 */
export class MlflowRegistryAdapter implements ModelRegistryAdapter {
  readonly scheme = 'mlflow';
  readonly name: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly runs = new Map<string, MlflowRun | undefined>();
  private readonly pageSize: number;

  /**
   * @param options - `pageSize`: versions per `model-versions/search` page
   *   (default 200; small in tests, to walk several pages).
   */
  constructor(
    private readonly endpoint: MlflowEndpoint,
    options: { pageSize?: number } = {},
  ) {
    this.pageSize = options.pageSize ?? 200;
    this.name = endpoint.name;
    this.base = new URL(endpoint.url.replace(/\/+$/, ''));
    this.agent = createAgent(this.base, { ca: endpoint.ca, maxSockets: 8 });
  }

  close(): void {
    this.agent.destroy();
  }

  async listVersions(ref: string): Promise<ModelRegistryVersion[]> {
    const name = parseMlflowRef(ref);
    const model = await this.registeredModel(name);
    const aliasesByVersion = new Map<string, string[]>();
    for (const a of model.aliases ?? []) {
      aliasesByVersion.set(a.version, [
        ...(aliasesByVersion.get(a.version) ?? []),
        a.alias,
      ]);
    }

    const versions: MlflowModelVersion[] = [];
    let pageToken: string | undefined;
    do {
      const page = await this.call<{
        model_versions?: MlflowModelVersion[];
        next_page_token?: string;
      }>(
        'GET',
        'model-versions/search',
        {
          filter: `name='${name.replace(/'/g, "\\'")}'`,
          max_results: String(this.pageSize),
          ...(pageToken ? { page_token: pageToken } : {}),
        },
        `versions of "${name}"`,
      );
      versions.push(...(page.model_versions ?? []));
      pageToken = page.next_page_token || undefined;
    } while (pageToken);

    const result = await Promise.all(
      versions.map(async mv => {
        const run = mv.run_id ? await this.run(mv.run_id) : undefined;
        const created = mv.creation_timestamp
          ? new Date(Number(mv.creation_timestamp)).toISOString()
          : undefined;
        const tags = Object.fromEntries(
          (mv.tags ?? []).map(t => [t.key, t.value]),
        );
        const metrics = Object.fromEntries(
          (run?.data?.metrics ?? [])
            .filter(m => typeof m.value === 'number')
            .map(m => [m.key, m.value]),
        );
        const aliases = [
          ...new Set([
            ...(aliasesByVersion.get(mv.version) ?? []),
            ...(mv.aliases ?? []),
          ]),
        ].sort();
        const version: ModelRegistryVersion = {
          version: mv.version,
          created,
          aliases,
          metrics,
          framework: tags.framework ?? tags['mlflow.source.type'],
          sourceRun: mv.run_id
            ? {
                id: mv.run_id,
                url: run
                  ? `${this.base
                      .toString()
                      .replace(/\/$/, '')}/#/experiments/${encodeURIComponent(
                      run.info.experiment_id,
                    )}/runs/${encodeURIComponent(mv.run_id)}`
                  : undefined,
              }
            : undefined,
          datasetDigests: (run?.inputs?.dataset_inputs ?? [])
            .map(d => d.dataset?.digest)
            .filter((d): d is string => Boolean(d)),
          annotations: tags,
        };
        return version;
      }),
    );
    return result.sort(compareVersionsNewestFirst);
  }

  async setAlias(
    ref: string,
    alias: string,
    version: string,
  ): Promise<ModelRegistryAliasResult> {
    const name = parseMlflowRef(ref);
    if (!MODEL_ALIAS_PATTERN.test(alias) || RESERVED_ALIAS.test(alias)) {
      throw new ModelRegistryError(
        'invalid-ref',
        `Invalid alias "${alias}": MLflow aliases are letters, digits, _ . - and may not be v<number>`,
      );
    }
    if (!/^[0-9]+$/.test(version)) {
      throw new ModelRegistryError(
        'invalid-ref',
        `Invalid version "${version}": MLflow versions are numbers`,
      );
    }
    // The model's aliases, rather than a GET of the alias: MLflow answers an
    // alias that is not set yet with 400 INVALID_PARAMETER_VALUE, not 404.
    const model = await this.registeredModel(name);
    const previousVersion = model.aliases?.find(
      a => a.alias === alias,
    )?.version;
    // Fails with 404 when the version does not exist, before moving anything.
    await this.call(
      'GET',
      'model-versions/get',
      { name, version },
      `version ${version} of "${name}"`,
    );
    await this.call(
      'POST',
      'registered-models/alias',
      { name, alias, version },
      `setting alias "${alias}" of "${name}"`,
    );
    return { previousVersion };
  }

  private async registeredModel(name: string) {
    const res = await this.call<{
      registered_model: { aliases?: Array<{ alias: string; version: string }> };
    }>('GET', 'registered-models/get', { name }, `registered model "${name}"`);
    return res.registered_model;
  }

  private async run(runId: string): Promise<MlflowRun | undefined> {
    if (!this.runs.has(runId)) {
      try {
        const res = await this.call<{ run: MlflowRun }>(
          'GET',
          'runs/get',
          { run_id: runId },
          `run ${runId}`,
        );
        this.runs.set(runId, res.run);
      } catch (e) {
        // A deleted run leaves the version without metrics, not broken.
        if ((e as ModelRegistryError).kind !== 'not-found') throw e;
        this.runs.set(runId, undefined);
      }
    }
    return this.runs.get(runId);
  }

  private async call<T>(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, string>,
    what: string,
  ): Promise<T> {
    const url = new URL(`/api/2.0/mlflow/${endpoint}`, this.base);
    let body: Buffer | undefined;
    if (method === 'GET') {
      for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    } else {
      body = Buffer.from(JSON.stringify(params));
    }
    const { token, username, password } = this.endpoint;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    else if (username) {
      headers.authorization = `Basic ${Buffer.from(
        `${username}:${password ?? ''}`,
      ).toString('base64')}`;
    }
    const where = `MLflow registry "${this.name}" (${this.base.host})`;
    const res = await httpRequest({
      method,
      url,
      headers,
      body,
      agent: this.agent,
      timeoutMs: 15_000,
    }).catch(e => {
      throw new ModelRegistryError(
        'unreachable',
        `${where} is unreachable: ${
          (e as { code?: string }).code ?? (e as Error).message
        }`,
      );
    });
    let parsed: any;
    try {
      parsed = res.body.length ? JSON.parse(res.body.toString('utf8')) : {};
    } catch {
      parsed = undefined;
    }
    if (res.status === 200) {
      if (parsed === undefined) {
        throw new ModelRegistryError(
          'protocol',
          `${where} answered ${what} with a body that is not JSON`,
        );
      }
      return parsed as T;
    }
    const detail = parsed?.message
      ? `: ${parsed.error_code ?? ''} ${parsed.message}`.trimEnd()
      : '';
    if (res.status === 401 || res.status === 403) {
      throw new ModelRegistryError(
        'unauthorized',
        `The ${where} refused the configured credentials for ${what} (HTTP ${res.status})`,
        res.status,
      );
    }
    // Only MLflow's own error body means the model or version is missing; a
    // bare 404 is a path the server does not serve (a wrong URL prefix, or
    // not an MLflow), which must not read as "no such version".
    if (parsed?.error_code === 'RESOURCE_DOES_NOT_EXIST') {
      throw new ModelRegistryError(
        'not-found',
        `${what[0].toUpperCase()}${what.slice(
          1,
        )} not found in ${where}${detail}`,
        404,
      );
    }
    if (parsed?.error_code === 'INVALID_PARAMETER_VALUE') {
      throw new ModelRegistryError(
        'invalid-ref',
        `The ${where} rejected ${what}${detail}`,
        res.status,
      );
    }
    throw new ModelRegistryError(
      res.status >= 500 ? 'server' : 'protocol',
      `The ${where} failed with HTTP ${res.status} on ${what}${detail}`,
      res.status,
    );
  }
}
