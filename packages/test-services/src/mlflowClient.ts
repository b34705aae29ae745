/**
 * A client for MLflow's REST API 2.0 (`/api/2.0/mlflow/...`), for seeding
 * a test or demo MLflow, as a team's training code would fill it.
 *
 * @public
 */
export interface MlflowRestClient {
  /** GET with query parameters; throws with MLflow's error body unless 200. */
  get<T = any>(endpoint: string, params?: Record<string, string>): Promise<T>;
  /** POST a JSON body; throws with MLflow's error body unless 200. */
  post<T = any>(endpoint: string, body: object): Promise<T>;
}

/**
 * A {@link MlflowRestClient} for the server at `url`, sending
 * `authorization` (e.g. `Basic …`) when given.
 *
 * @public
 */
export function mlflowRestClient(
  url: string,
  authorization?: string,
): MlflowRestClient {
  const request = async (method: string, endpoint: string, init: object) => {
    const res = await fetch(`${url.replace(/\/+$/, '')}${endpoint}`, {
      method,
      ...init,
      headers: {
        ...(authorization ? { authorization } : {}),
        ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
      },
    });
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`MLflow ${method} ${endpoint} → ${res.status}: ${text}`);
    }
    return text ? JSON.parse(text) : {};
  };
  return {
    get: (endpoint, params = {}) =>
      request(
        'GET',
        `/api/2.0/mlflow/${endpoint}?${new URLSearchParams(params)}`,
        {},
      ),
    post: (endpoint, body) =>
      request('POST', `/api/2.0/mlflow/${endpoint}`, {
        body: JSON.stringify(body),
      }),
  };
}

/**
 * One model version to seed: a finished run with these metrics, params and
 * dataset input, registered from that run's `model` artifact path.
 *
 * @public
 */
export interface MlflowSeedVersion {
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  /** Tags of the model version (not the run). */
  tags?: Record<string, string>;
  description?: string;
  /** A dataset input of the run (MLflow `runs/log-inputs`). */
  dataset?: { name: string; digest: string; source?: string };
  /** Start of the run, ms since epoch; default now. */
  startTime?: number;
}

/**
 * A registered model to seed, with its experiment, versions and aliases.
 *
 * @public
 */
export interface MlflowSeedModel {
  name: string;
  description?: string;
  tags?: Record<string, string>;
  /** Experiment the versions' runs go to; default the model's name. */
  experiment?: string;
  /** Registered in order, so the first becomes version 1. */
  versions: MlflowSeedVersion[];
  /** Alias → version number. */
  aliases?: Record<string, string>;
}

/**
 * What {@link seedMlflowModel} created.
 *
 * @public
 */
export interface MlflowSeededModel {
  experimentId: string;
  versions: Array<{ version: string; runId: string }>;
}

const keyValues = (record: Record<string, string> = {}) =>
  Object.entries(record).map(([key, value]) => ({ key, value }));

async function experimentId(client: MlflowRestClient, name: string) {
  try {
    const res = await client.get('experiments/get-by-name', {
      experiment_name: name,
    });
    return res.experiment.experiment_id as string;
  } catch {
    const res = await client.post('experiments/create', { name });
    return res.experiment_id as string;
  }
}

/**
 * Creates a registered model with one finished run and one version per
 * entry of `model.versions`, then sets the aliases, through the REST API
 * only (no Python client involved).
 *
 * @public
 */
export async function seedMlflowModel(
  client: MlflowRestClient,
  model: MlflowSeedModel,
): Promise<MlflowSeededModel> {
  const expId = await experimentId(client, model.experiment ?? model.name);
  await client.post('registered-models/create', {
    name: model.name,
    description: model.description,
    tags: keyValues(model.tags),
  });
  const versions: MlflowSeededModel['versions'] = [];
  for (const [i, v] of model.versions.entries()) {
    const startTime = v.startTime ?? Date.now();
    const { run } = await client.post('runs/create', {
      experiment_id: expId,
      run_name: `${model.name}-v${i + 1}`,
      start_time: startTime,
    });
    const runId: string = run.info.run_id;
    await client.post('runs/log-batch', {
      run_id: runId,
      params: keyValues(v.params),
      metrics: Object.entries(v.metrics ?? {}).map(([key, value]) => ({
        key,
        value,
        timestamp: startTime,
        step: 0,
      })),
    });
    if (v.dataset) {
      await client.post('runs/log-inputs', {
        run_id: runId,
        datasets: [
          {
            tags: [],
            dataset: {
              name: v.dataset.name,
              digest: v.dataset.digest,
              source_type: 'local',
              source: JSON.stringify({ uri: v.dataset.source ?? 'demo' }),
            },
          },
        ],
      });
    }
    await client.post('runs/update', {
      run_id: runId,
      status: 'FINISHED',
      end_time: startTime + 60_000,
    });
    const { model_version: mv } = await client.post('model-versions/create', {
      name: model.name,
      source: `${run.info.artifact_uri}/model`,
      run_id: runId,
      description: v.description,
      tags: keyValues(v.tags),
    });
    versions.push({ version: String(mv.version), runId });
  }
  for (const [alias, version] of Object.entries(model.aliases ?? {})) {
    await client.post('registered-models/alias', {
      name: model.name,
      alias,
      version,
    });
  }
  return { experimentId: expId, versions };
}
