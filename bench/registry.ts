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
 *    unchanged ingest (the incremental path). Every 100th repository is
 *    read again in full (newest version included) and its entity must be
 *    byte-identical to the one the provider emitted.
 * 3. Compares the processing cost of the provided Models and Datasets
 *    (entity generation + the catalog processors: MlEntitiesProcessor and
 *    Backstage's BuiltinKindsEntityProcessor) with the same count of plain
 *    Resource entities built and run through the same processors
 *    (bench/catalogProcessing.ts, shared with bench/catalog.ts, which does
 *    the same at 1k, 10k and 100k entities).
 */
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import {
  mapLimit,
  OciDistributionClient,
  OciModelRepositorySummary,
  OciModelSummaryReader,
} from '@mlplatform/plugin-ml-oci';
import { startRegistry } from '@mlplatform/test-services';
import { parseArgs } from 'node:util';
import { RegistryModelEntityProvider } from '../plugins/catalog-backend-module-ml/src/registryProvider/RegistryModelEntityProvider';
import { DATASET_CONFIG_MEDIA_TYPE } from '@mlplatform/plugin-ml-common';
import {
  buildMlEntities,
  measureProcessingCost,
  pushBenchDataset,
  pushBenchModel,
} from './catalogProcessing';

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
  /** The entities of the full mutation, by registry ref. */
  readonly byRef = new Map<string, unknown>();
  async applyMutation(m: EntityProviderMutation) {
    this.entities =
      m.type === 'full'
        ? m.entities.length
        : this.entities + m.added.length - m.removed.length;
    if (m.type === 'full') {
      for (const { entity } of m.entities) {
        this.byRef.set(
          entity.metadata.annotations!['mlplatform.io/registry-ref'],
          entity,
        );
      }
    }
  }
  async refresh() {}
}

/**
 * The provider skips the newest version's manifest when `production` has
 * what the entity needs: every 100th repository is read again in full (a
 * reader without `newestFallbackFor`) and its entity must be byte-identical
 * to the one the provider emitted.
 */
async function checkAgainstFullRead(
  registry: { url: string; host: string },
  repos: string[],
  emitted: Map<string, unknown>,
) {
  const client = new OciDistributionClient({
    name: 'bench',
    url: registry.url,
  });
  const readers = {
    model: new OciModelSummaryReader(client),
    dataset: new OciModelSummaryReader(client, {
      configMediaType: DATASET_CONFIG_MEDIA_TYPE,
    }),
  };
  const sample = repos.filter((_, i) => i % 100 === 0);
  try {
    for (const repo of sample) {
      const kind = repo.startsWith('datasets/') ? 'dataset' : 'model';
      const summary = await readers[kind].readRepositorySummary(repo);
      const [full] = buildMlEntities([[repo, summary]], registry.host);
      const got = JSON.stringify(emitted.get(`oci://${registry.host}/${repo}`));
      if (JSON.stringify(full) !== got) {
        throw new Error(`entity of ${repo} differs from a full read: ${got}`);
      }
    }
  } finally {
    client.close();
  }
  return sample.length;
}

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
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
    const seedModel = (i: number) =>
      pushBenchModel(seedClient, registry.url, i, VERSIONS);
    let started = process.hrtime.bigint();
    await seedModel(0);
    await mapLimit(
      Array.from({ length: MODELS - 1 }, (_, i) => i + 1),
      CONCURRENCY,
      seedModel,
    );
    const seedDataset = (i: number) =>
      pushBenchDataset(seedClient, registry.url, i, DATASET_VERSIONS);
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

    const repos = [...captured.keys()].sort();
    report.identicalToFullRead = await checkAgainstFullRead(
      registry,
      repos,
      connection.byRef,
    );

    // 3. Processing cost: Models vs plain Resources, same processors.
    const cost = await measureProcessingCost({
      summaries: repos.map(repo => [repo, captured.get(repo)!] as const),
      host: registry.host,
      runs: 3,
    });
    report.processing = {
      entities: repos.length,
      models: repos.filter(r => r.startsWith('models/')).length,
      datasets: repos.filter(r => r.startsWith('datasets/')).length,
      modelBuildMs: Math.round(cost.modelBuildMs),
      modelProcessMs: Math.round(cost.modelProcessMs),
      resourceBuildMs: Math.round(cost.resourceBuildMs),
      resourceProcessMs: Math.round(cost.resourceProcessMs),
      ratio: Number(cost.ratio.toFixed(2)),
      processorsOnlyRatio: Number(cost.processorsOnlyRatio.toFixed(2)),
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
        `entities byte-identical to a full read (newest version included): ${r.identicalToFullRead} sampled repositories`,
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
