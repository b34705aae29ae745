import { MODEL_ALIAS_PATTERN } from '@mlplatform/plugin-ml-common';
import {
  ModelRegistryAdapter,
  ModelRegistryAliasResult,
  ModelRegistryError,
  ModelRegistryVersion,
} from '@mlplatform/plugin-ml-node';
import { compareVersionsNewestFirst } from '@mlplatform/plugin-ml-oci';
import {
  MlflowRest,
  MlflowRestFailure,
  mlflowPages,
} from '../mlflow/MlflowRest';

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
  private readonly rest: MlflowRest;
  private readonly where: string;
  private readonly runs = new Map<string, MlflowRun | undefined>();
  private readonly pageSize: number;

  /**
   * @param options - `pageSize`: versions per `model-versions/search` page
   *   (default 200; small in tests, to walk several pages).
   */
  constructor(endpoint: MlflowEndpoint, options: { pageSize?: number } = {}) {
    this.pageSize = options.pageSize ?? 200;
    this.name = endpoint.name;
    this.rest = new MlflowRest(
      { ...endpoint, url: endpoint.url.replace(/\/+$/, '') },
      (failure, what) => this.toError(failure, what),
    );
    this.where = `MLflow registry "${this.name}" (${this.rest.base.host})`;
  }

  close(): void {
    this.rest.close();
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

    const versions = await mlflowPages<MlflowModelVersion>(async pageToken => {
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
      return {
        items: page.model_versions,
        next_page_token: page.next_page_token,
      };
    });

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
                  ? `${this.rest.base
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

  private call<T>(
    method: 'GET' | 'POST',
    endpoint: string,
    params: Record<string, string>,
    what: string,
  ): Promise<T> {
    return this.rest.call<T>(method, endpoint, params, what);
  }

  /** A failed call as the {@link ModelRegistryError} the registry routes map. */
  private toError(failure: MlflowRestFailure, what: string): Error {
    const { where } = this;
    const { status, body } = failure;
    const detail = body?.message
      ? `: ${body.error_code ?? ''} ${body.message}`.trimEnd()
      : '';
    switch (failure.kind) {
      case 'unreachable':
        return new ModelRegistryError(
          'unreachable',
          `${where} is unreachable: ${failure.cause}`,
        );
      case 'unauthorized':
        return new ModelRegistryError(
          'unauthorized',
          `The ${where} refused the configured credentials for ${what} (HTTP ${status})`,
          status,
        );
      // Only MLflow's own error body means the model or version is missing;
      // a bare 404 is a path the server does not serve (a wrong URL prefix,
      // or not an MLflow), which must not read as "no such version".
      case 'not-found':
        return new ModelRegistryError(
          'not-found',
          `${what[0].toUpperCase()}${what.slice(
            1,
          )} not found in ${where}${detail}`,
          404,
        );
      case 'invalid':
        return new ModelRegistryError(
          'invalid-ref',
          `The ${where} rejected ${what}${detail}`,
          status,
        );
      default:
        if (status === 200) {
          return new ModelRegistryError(
            'protocol',
            `${where} answered ${what} with a body that is not JSON`,
          );
        }
        return new ModelRegistryError(
          (status ?? 0) >= 500 ? 'server' : 'protocol',
          `The ${where} failed with HTTP ${status} on ${what}${detail}`,
          status,
        );
    }
  }
}
