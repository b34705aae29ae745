/*
 * What bench/registry.ts (step 3) and bench/catalog.ts share: how the bench
 * seeds a model and a dataset repository, and the side-by-side measurement
 * of ML-kind processing (the registry provider building the entities + the
 * catalog processors) against the same number of plain Resource entities
 * through the same processors.
 */
import { BuiltinKindsEntityProcessor } from '@backstage/plugin-catalog-backend';
import {
  Entity,
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  OciDistributionClient,
  OciModelRepositorySummary,
  pushDataset,
  pushModel,
} from '@mlplatform/plugin-ml-oci';
import { MlEntitiesProcessor } from '@mlplatform/plugin-catalog-backend-module-ml';
import { toModelEntity } from '../plugins/catalog-backend-module-ml/src/registryProvider/modelEntity';
import { toDatasetEntity } from '../plugins/catalog-backend-module-ml/src/registryProvider/datasetEntity';

export const modelName = (i: number) => `model-${String(i).padStart(5, '0')}`;
export const datasetName = (i: number) =>
  `dataset-${String(i).padStart(5, '0')}`;

const FILE = { name: 'model.onnx', data: Buffer.from('tiny weights') };

/**
 * Pushes model `i` with `versions` versions through ml-push, as CI or a
 * training job would: lineage, metrics, owner, `production` on the next to
 * last version. Every model after the first mounts model 0's blobs.
 */
export async function pushBenchModel(
  client: OciDistributionClient,
  registryUrl: string,
  i: number,
  versions: number,
) {
  for (let v = 1; v <= versions; v++) {
    await pushModel({
      client,
      registry: registryUrl,
      repository: `models/${modelName(i)}`,
      tag: `v${v}`,
      file: FILE,
      framework: 'onnx',
      metrics: { auc: 0.8 + v / 100, latency_ms: 10 + (i % 7) },
      pipelineRun: `train-${i}-${v}`,
      datasetDigests: [`sha256:${String(i).padStart(8, '0')}`],
      owner: `group:default/team-${i % 50}`,
      pipeline: `pipeline:default/${modelName(i)}-training`,
      trainedOn: [`dataset:default/${modelName(i)}-features`],
      modelType: 'classifier',
      created: new Date(Date.UTC(2026, 0, 1, 0, 0, v)),
      aliases: v === versions - 1 ? ['production'] : [],
      force: true,
      mountFrom: i === 0 ? undefined : `models/${modelName(0)}`,
    });
  }
}

/** Pushes dataset `i` with `versions` versions, each with its own location, rows and lineage. */
export async function pushBenchDataset(
  client: OciDistributionClient,
  registryUrl: string,
  i: number,
  versions: number,
) {
  for (let v = 1; v <= versions; v++) {
    await pushDataset({
      client,
      registry: registryUrl,
      repository: `datasets/${datasetName(i)}`,
      tag: `v${v}`,
      location: `s3://bench-data/${datasetName(i)}/v${v}/`,
      format: 'parquet',
      datasetType: 'features',
      rows: 1000 * v + i,
      classification: 'internal',
      owner: `group:default/team-${i % 50}`,
      producedBy: `pipeline:default/${datasetName(i)}-etl`,
      pipelineRun: `etl-${i}-${v}`,
      derivedFrom: [`dataset:default/${datasetName(i)}-raw`],
      schemaDigest: `sha256:${String(i % 97).padStart(64, '0')}`,
      created: new Date(Date.UTC(2026, 0, 1, 0, 0, v)),
      aliases: v === versions - 1 ? ['production'] : [],
      force: true,
    });
  }
}

type Processor = MlEntitiesProcessor | BuiltinKindsEntityProcessor;

/** Runs each entity through the processors' stages in the catalog's order. */
export async function runProcessors(
  entities: Entity[],
  processors: Processor[],
) {
  const location = { type: 'url', target: 'bench' };
  const emit = () => {};
  for (let e of entities) {
    for (const p of processors) {
      if ('preProcessEntity' in p && p.preProcessEntity) {
        e = await p.preProcessEntity(e, location, emit, location, {} as any);
      }
    }
    let valid = false;
    for (const p of processors) {
      if (await p.validateEntityKind!(e)) {
        valid = true;
        break;
      }
    }
    if (!valid) throw new Error(`no processor accepted ${e.metadata.name}`);
    for (const p of processors) {
      await p.postProcessEntity!(e, location, emit, {} as any);
    }
  }
}

/** Repositories (`models/...`, `datasets/...`) and what the provider read of each. */
export type Summaries = ReadonlyArray<
  readonly [string, OciModelRepositorySummary]
>;

// The provider's defaults, made once per provider as RegistryModelEntityProvider does.
const MODEL_DEFAULTS = { namespace: 'default', defaultType: 'model' };
const DATASET_DEFAULTS = { namespace: 'default', defaultType: 'table' };

/** The ML arm's building: what RegistryModelEntityProvider does per repository. */
export function buildMlEntities(summaries: Summaries, host: string): Entity[] {
  return summaries.map(([repository, summary]) => {
    const e = repository.startsWith('datasets/')
      ? toDatasetEntity({
          registryName: 'bench',
          host,
          repository,
          prefix: 'datasets/',
          summary,
          defaults: DATASET_DEFAULTS,
        })
      : toModelEntity({
          registryName: 'bench',
          host,
          repository,
          prefix: 'models/',
          summary,
          defaults: MODEL_DEFAULTS,
        });
    if ('skipped' in e) throw new Error(e.skipped);
    return e as Entity;
  });
}

/** The baseline's building: a plain Resource per repository, from the same summary. */
export function buildResourceEntities(
  summaries: Summaries,
  host: string,
): Entity[] {
  return summaries.map(([repository, summary]): Entity => {
    const location = `ml-registry:oci://${host}/${repository}`;
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Resource',
      metadata: {
        name: repository.slice(repository.indexOf('/') + 1),
        namespace: 'default',
        description: `Versions in registry "bench": ${summary.versionNames.length}`,
        annotations: {
          [ANNOTATION_LOCATION]: location,
          [ANNOTATION_ORIGIN_LOCATION]: location,
          'example.com/versions': summary.versionNames.join(','),
        },
      },
      spec: {
        type: 'storage',
        owner: summary.current!.annotations['mlplatform.io/owner'],
        system: 'bench',
      },
    };
  });
}

export interface ProcessingCost {
  entities: number;
  runs: number;
  /** Medians over the runs, in ms. */
  modelBuildMs: number;
  modelProcessMs: number;
  resourceBuildMs: number;
  resourceProcessMs: number;
  /** (build + processors) ML / Resource. */
  ratio: number;
  processorsOnlyRatio: number;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Times both arms `runs` times, interleaved (the arm that goes first
 * alternates, so a slow moment on a shared machine lands on both), after a
 * warm-up of the JIT and the compiled validators on both shapes; returns the
 * medians, in ms per pass over all the summaries. Each arm's entities are
 * dropped before the other arm runs.
 */
export async function measureProcessingCost(options: {
  summaries: Summaries;
  host: string;
  runs: number;
}): Promise<ProcessingCost> {
  const { summaries, host, runs } = options;
  const processors = [
    new MlEntitiesProcessor(),
    new BuiltinKindsEntityProcessor(),
  ];
  // Warm-up: enough entities through both arms that the JIT has optimised
  // the hot paths (fewer, and the smallest size measures the compiler).
  const warm = summaries.slice(0, 5000);
  for (let done = 0; done < 30_000; done += warm.length) {
    await runProcessors(buildMlEntities(warm, host), processors);
    await runProcessors(buildResourceEntities(warm, host), processors);
  }
  // Small sizes are passed several times per sample so that each sample
  // takes long enough to time on a busy machine; figures are per pass.
  const passes = Math.max(1, Math.ceil(20_000 / summaries.length));
  const t = {
    modelBuild: [] as number[],
    modelProcess: [] as number[],
    resourceBuild: [] as number[],
    resourceProcess: [] as number[],
  };
  const arm = async (
    build: (s: Summaries, h: string) => Entity[],
    buildTimes: number[],
    processTimes: number[],
  ) => {
    let building = 0;
    let processing = 0;
    for (let p = 0; p < passes; p++) {
      let started = process.hrtime.bigint();
      const entities = build(summaries, host);
      building += ms(started);
      started = process.hrtime.bigint();
      await runProcessors(entities, processors);
      processing += ms(started);
    }
    buildTimes.push(building / passes);
    processTimes.push(processing / passes);
  };
  const ml = () => arm(buildMlEntities, t.modelBuild, t.modelProcess);
  const resource = () =>
    arm(buildResourceEntities, t.resourceBuild, t.resourceProcess);
  for (let r = 0; r < runs; r++) {
    if (r % 2 === 0) {
      await ml();
      await resource();
    } else {
      await resource();
      await ml();
    }
  }
  const m = {
    modelBuild: median(t.modelBuild),
    modelProcess: median(t.modelProcess),
    resourceBuild: median(t.resourceBuild),
    resourceProcess: median(t.resourceProcess),
  };
  return {
    entities: summaries.length,
    runs,
    modelBuildMs: m.modelBuild,
    modelProcessMs: m.modelProcess,
    resourceBuildMs: m.resourceBuild,
    resourceProcessMs: m.resourceProcess,
    ratio:
      (m.modelBuild + m.modelProcess) / (m.resourceBuild + m.resourceProcess),
    processorsOnlyRatio: m.modelProcess / m.resourceProcess,
  };
}
