/*
 * Registry -> catalog benchmark (DESIGN.md section 8, issue 5).
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/registry.ts [--models 10000] [--versions 5] [--datasets 2000] \
 *     [--dataset-versions 3] [--json]
 *
 * 1. Starts a real docker-registry and seeds it with N models x V versions
 *    through the ml-push library (pushModel), in-process; every model shares
 *    the same tiny blobs (mounted across repositories), each version has its
 *    own manifest and metrics, and `production` points at the next to last.
 *    Then D datasets x DV versions the same way (pushDataset, under
 *    datasets/), each version with its own location, rows and lineage.
 * 2. Ingests both in one refresh with the catalog's
 *    RegistryModelEntityProvider: wall time and requests, then a second,
 *    unchanged ingest (the incremental path).
 * 3. Compares the processing cost of the provided Models and Datasets
 *    (entity generation + the catalog processors: MlEntitiesProcessor and
 *    Backstage's BuiltinKindsEntityProcessor) with the same count of plain
 *    Resource entities built and run through the same processors.
 */
import { BuiltinKindsEntityProcessor } from '@backstage/plugin-catalog-backend';
import {
  Entity,
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  mapLimit,
  OciDistributionClient,
  OciModelRepositorySummary,
  OciModelSummaryReader,
  pushDataset,
  pushModel,
} from '@mlplatform/plugin-ml-oci';
import { MlEntitiesProcessor } from '@mlplatform/plugin-catalog-backend-module-ml';
import { startRegistry } from '@mlplatform/test-services';
import { parseArgs } from 'node:util';
import { RegistryModelEntityProvider } from '../plugins/catalog-backend-module-ml/src/registryProvider/RegistryModelEntityProvider';
import { toModelEntity } from '../plugins/catalog-backend-module-ml/src/registryProvider/modelEntity';
import { toDatasetEntity } from '../plugins/catalog-backend-module-ml/src/registryProvider/datasetEntity';

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '10000' },
    versions: { type: 'string', default: '5' },
    datasets: { type: 'string', default: '2000' },
    'dataset-versions': { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    json: { type: 'boolean', default: false },
  },
});
const MODELS = Number(values.models);
const VERSIONS = Number(values.versions);
const DATASETS = Number(values.datasets);
const DATASET_VERSIONS = Number(values['dataset-versions']);
const CONCURRENCY = Number(values.concurrency);

const silentLogger = {
  info() {},
  warn(m: string) {
    process.stderr.write(`warn: ${m}\n`);
  },
  error(m: string) {
    process.stderr.write(`error: ${m}\n`);
  },
  debug() {},
  child() {
    return silentLogger;
  },
} as any;

class CountingConnection implements EntityProviderConnection {
  entities = 0;
  async applyMutation(m: EntityProviderMutation) {
    this.entities =
      m.type === 'full'
        ? m.entities.length
        : this.entities + m.added.length - m.removed.length;
  }
  async refresh() {}
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const name = (i: number) => `model-${String(i).padStart(5, '0')}`;
const datasetName = (i: number) => `dataset-${String(i).padStart(5, '0')}`;

async function process_(
  entities: Entity[],
  processors: Array<MlEntitiesProcessor | BuiltinKindsEntityProcessor>,
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

async function main() {
  const registry = await startRegistry({ startTimeoutMs: 60_000 });
  const report: Record<string, unknown> = {
    models: MODELS,
    versionsPerModel: VERSIONS,
    datasets: DATASETS,
    versionsPerDataset: DATASET_VERSIONS,
  };
  try {
    // 1. Seed through the ml-push library, as CI or a training job would.
    const seedClient = new OciDistributionClient(
      { name: 'seed', url: registry.url },
      { maxSockets: CONCURRENCY },
    );
    const file = { name: 'model.onnx', data: Buffer.from('tiny weights') };
    const seedModel = async (i: number) => {
      for (let v = 1; v <= VERSIONS; v++) {
        await pushModel({
          client: seedClient,
          registry: registry.url,
          repository: `models/${name(i)}`,
          tag: `v${v}`,
          file,
          framework: 'onnx',
          metrics: { auc: 0.8 + v / 100, latency_ms: 10 + (i % 7) },
          pipelineRun: `train-${i}-${v}`,
          datasetDigests: [`sha256:${String(i).padStart(8, '0')}`],
          owner: `group:default/team-${i % 50}`,
          pipeline: `pipeline:default/${name(i)}-training`,
          trainedOn: [`dataset:default/${name(i)}-features`],
          modelType: 'classifier',
          created: new Date(Date.UTC(2026, 0, 1, 0, 0, v)),
          aliases: v === VERSIONS - 1 ? ['production'] : [],
          force: true,
          mountFrom: i === 0 ? undefined : `models/${name(0)}`,
        });
      }
    };
    let started = process.hrtime.bigint();
    await seedModel(0);
    await mapLimit(
      Array.from({ length: MODELS - 1 }, (_, i) => i + 1),
      CONCURRENCY,
      seedModel,
    );
    const seedDataset = async (i: number) => {
      for (let v = 1; v <= DATASET_VERSIONS; v++) {
        await pushDataset({
          client: seedClient,
          registry: registry.url,
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
          aliases: v === DATASET_VERSIONS - 1 ? ['production'] : [],
          force: true,
        });
      }
    };
    const modelSeedRequests = seedClient.requestCount;
    const modelSeedMs = ms(started);
    started = process.hrtime.bigint();
    await mapLimit(
      Array.from({ length: DATASETS }, (_, i) => i),
      CONCURRENCY,
      seedDataset,
    );
    report.seed = {
      ms: Math.round(modelSeedMs),
      requests: modelSeedRequests,
      datasetsMs: Math.round(ms(started)),
      datasetRequests: seedClient.requestCount - modelSeedRequests,
    };
    seedClient.close();

    // Capture what the provider reads, for the processing-cost comparison.
    const captured = new Map<string, OciModelRepositorySummary>();
    const original = OciModelSummaryReader.prototype.readRepositorySummary;
    OciModelSummaryReader.prototype.readRepositorySummary =
      async function wrapped(repo) {
        const result = await original.call(this, repo);
        captured.set(repo, result);
        return result;
      };

    // 2. Ingest, then ingest again with nothing changed.
    const connection = new CountingConnection();
    const provider = new RegistryModelEntityProvider({
      sources: [
        { endpoint: { name: 'bench', url: registry.url }, prefix: 'models/' },
      ],
      logger: silentLogger,
      concurrency: CONCURRENCY,
    });
    await provider.connect(connection);
    started = process.hrtime.bigint();
    const first = await provider.refresh();
    report.ingest = { ms: Math.round(ms(started)), ...first };
    started = process.hrtime.bigint();
    const second = await provider.refresh();
    report.reingestUnchanged = { ms: Math.round(ms(started)), ...second };
    provider.close();
    OciModelSummaryReader.prototype.readRepositorySummary = original;
    if (first.models !== MODELS || first.datasets !== DATASETS) {
      throw new Error(
        `expected ${MODELS} Models and ${DATASETS} Datasets, got ${first.models} and ${first.datasets}`,
      );
    }
    if (connection.entities !== MODELS + DATASETS) {
      throw new Error(
        `expected ${MODELS + DATASETS} entities, got ${connection.entities}`,
      );
    }

    // 3. Processing cost: Models vs plain Resources, same processors.
    const processors = [
      new MlEntitiesProcessor(),
      new BuiltinKindsEntityProcessor(),
    ];
    const repos = [...captured.keys()].sort();
    const build = () =>
      repos.map(repo => {
        const options = {
          registryName: 'bench',
          host: registry.host,
          repository: repo,
          summary: captured.get(repo)!,
        };
        const e = repo.startsWith('datasets/')
          ? toDatasetEntity({
              ...options,
              prefix: 'datasets/',
              defaults: { namespace: 'default', defaultType: 'table' },
            })
          : toModelEntity({
              ...options,
              prefix: 'models/',
              defaults: { namespace: 'default', defaultType: 'model' },
            });
        if ('skipped' in e) throw new Error(e.skipped);
        return e as Entity;
      });
    const buildResources = () =>
      repos.map((repo): Entity => {
        const v = captured.get(repo)!;
        const location = `ml-registry:oci://${registry.host}/${repo}`;
        return {
          apiVersion: 'backstage.io/v1alpha1',
          kind: 'Resource',
          metadata: {
            name: repo.slice(repo.indexOf('/') + 1),
            namespace: 'default',
            description: `Versions in registry "bench": ${v.versionNames.length}`,
            annotations: {
              [ANNOTATION_LOCATION]: location,
              [ANNOTATION_ORIGIN_LOCATION]: location,
              'example.com/versions': v.versionNames.join(','),
            },
          },
          spec: {
            type: 'storage',
            owner: v.current!.annotations['mlplatform.io/owner'],
            system: 'bench',
          },
        };
      });
    // Warm up the JIT and the compiled validators on both shapes.
    await process_(build().slice(0, 200), processors);
    await process_(buildResources().slice(0, 200), processors);
    const runs = 3;
    const timings = {
      modelBuild: [] as number[],
      modelProcess: [] as number[],
      resourceBuild: [] as number[],
      resourceProcess: [] as number[],
    };
    for (let r = 0; r < runs; r++) {
      started = process.hrtime.bigint();
      const models = build();
      timings.modelBuild.push(ms(started));
      started = process.hrtime.bigint();
      await process_(models, processors);
      timings.modelProcess.push(ms(started));
      started = process.hrtime.bigint();
      const resources = buildResources();
      timings.resourceBuild.push(ms(started));
      started = process.hrtime.bigint();
      await process_(resources, processors);
      timings.resourceProcess.push(ms(started));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
    const t = Object.fromEntries(
      Object.entries(timings).map(([k, v]) => [k, median(v)]),
    ) as Record<keyof typeof timings, number>;
    const model = t.modelBuild + t.modelProcess;
    const resource = t.resourceBuild + t.resourceProcess;
    report.processing = {
      entities: repos.length,
      models: repos.filter(r => r.startsWith('models/')).length,
      datasets: repos.filter(r => r.startsWith('datasets/')).length,
      modelBuildMs: Math.round(t.modelBuild),
      modelProcessMs: Math.round(t.modelProcess),
      resourceBuildMs: Math.round(t.resourceBuild),
      resourceProcessMs: Math.round(t.resourceProcess),
      ratio: Number((model / resource).toFixed(2)),
      processorsOnlyRatio: Number(
        (t.modelProcess / t.resourceProcess).toFixed(2),
      ),
    };
  } finally {
    await registry.stop();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const r = report as any;
    process.stdout.write(
      [
        `registry bench: ${MODELS} models x ${VERSIONS} versions + ${DATASETS} datasets x ${DATASET_VERSIONS} versions`,
        `seed (pushModel):   ${r.seed.ms} ms, ${r.seed.requests} requests`,
        `seed (pushDataset): ${r.seed.datasetsMs} ms, ${r.seed.datasetRequests} requests`,
        `ingest (full):    ${r.ingest.ms} ms, ${r.ingest.requests} requests, ${r.ingest.models} Model + ${r.ingest.datasets} Dataset entities`,
        `re-ingest (same): ${r.reingestUnchanged.ms} ms, ${r.reingestUnchanged.requests} requests, ${r.reingestUnchanged.changed} changed`,
        `processing ${r.processing.entities} entities (${r.processing.models} Models, ${r.processing.datasets} Datasets): build ${r.processing.modelBuildMs} + processors ${r.processing.modelProcessMs} ms`,
        `  vs Resources build ${r.processing.resourceBuildMs} + processors ${r.processing.resourceProcessMs} ms`,
        `  -> ${r.processing.ratio}x overall, ${r.processing.processorsOnlyRatio}x processors only (target <= 1.2x)`,
        '',
      ].join('\n'),
    );
  }
}

main().catch(e => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
