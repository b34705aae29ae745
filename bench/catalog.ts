/*
 * Catalog processing at a large company's size (issue 20, "Speed").
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/catalog.ts [--sizes 1000,10000,100000] [--runs 5] [--json]
 *
 * Pushes one model (5 versions) and one dataset (3 versions) to a real
 * docker-registry with ml-push and reads their summaries with the registry
 * provider's reader (OciModelSummaryReader), so the entities are built from
 * what the provider really reads. For each size it clones those summaries
 * under new names (5 Models to 1 Dataset, as bench/registry.ts) and times,
 * side by side and interleaved, the ML arm (the provider's entity building +
 * MlEntitiesProcessor + BuiltinKindsEntityProcessor) and the same number of
 * plain Resource entities through the same processors (bench/catalogProcessing.ts,
 * shared with bench/registry.ts). Prints both arms, the ratio per size and
 * the slope (ms per 1,000 entities), with the load average before and after.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import {
  DATASET_CONFIG_MEDIA_TYPE,
  MODEL_CONFIG_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import {
  OciDistributionClient,
  OciModelRepositorySummary,
  OciModelSummaryReader,
} from '@mlplatform/plugin-ml-oci';
import { startRegistry } from '@mlplatform/test-services';
import { MODEL_NEWEST_FALLBACK } from '../plugins/catalog-backend-module-ml/src/registryProvider/modelEntity';
import { DATASET_NEWEST_FALLBACK } from '../plugins/catalog-backend-module-ml/src/registryProvider/datasetEntity';
import {
  datasetName,
  measureProcessingCost,
  modelName,
  ProcessingCost,
  pushBenchDataset,
  pushBenchModel,
  Summaries,
} from './catalogProcessing';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1000,10000,100000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
  },
  strict: true,
});
const SIZES = values.sizes!.split(',').map(Number);
const RUNS = Number(values.runs);
if (SIZES.some(n => !(Number.isInteger(n) && n >= 6 && n <= 1_000_000))) {
  throw new Error('--sizes must be integers 6..1000000, comma-separated');
}
if (!(Number.isInteger(RUNS) && RUNS >= 1))
  throw new Error('--runs must be >= 1');

const load = () =>
  os
    .loadavg()
    .map(l => l.toFixed(2))
    .join(' ');

/** N repositories' summaries: the templates under new names and owners. */
function cloneSummaries(
  templates: {
    model: OciModelRepositorySummary;
    dataset: OciModelRepositorySummary;
  },
  size: number,
): Summaries {
  const model = JSON.stringify(templates.model);
  const dataset = JSON.stringify(templates.dataset);
  const datasets = Math.round(size / 6);
  const out: Array<[string, OciModelRepositorySummary]> = [];
  for (let i = 0; i < size - datasets; i++) {
    out.push([
      `models/${modelName(i)}`,
      JSON.parse(
        model
          .replaceAll(modelName(0), modelName(i))
          .replaceAll('group:default/team-0"', `group:default/team-${i % 50}"`),
      ),
    ]);
  }
  for (let i = 0; i < datasets; i++) {
    out.push([
      `datasets/${datasetName(i)}`,
      JSON.parse(
        dataset
          .replaceAll(datasetName(0), datasetName(i))
          .replaceAll('group:default/team-0"', `group:default/team-${i % 50}"`),
      ),
    ]);
  }
  return out;
}

async function main() {
  const loadBefore = load();
  const registry = await startRegistry({ startTimeoutMs: 60_000 });
  let templates;
  try {
    const client = new OciDistributionClient({
      name: 'bench',
      url: registry.url,
    });
    await pushBenchModel(client, registry.url, 0, 5);
    await pushBenchDataset(client, registry.url, 0, 3);
    // Read as RegistryModelEntityProvider reads them.
    templates = {
      model: await new OciModelSummaryReader(client, {
        configMediaType: MODEL_CONFIG_MEDIA_TYPE,
        newestFallbackFor: MODEL_NEWEST_FALLBACK,
      }).readRepositorySummary(`models/${modelName(0)}`),
      dataset: await new OciModelSummaryReader(client, {
        configMediaType: DATASET_CONFIG_MEDIA_TYPE,
        newestFallbackFor: DATASET_NEWEST_FALLBACK,
      }).readRepositorySummary(`datasets/${datasetName(0)}`),
    };
    client.close();
  } finally {
    await registry.stop();
  }

  const results: ProcessingCost[] = [];
  for (const size of SIZES) {
    const cost = await measureProcessingCost({
      summaries: cloneSummaries(templates, size),
      host: registry.host,
      runs: RUNS,
    });
    results.push(cost);
    if (!values.json) {
      const ml = cost.modelBuildMs + cost.modelProcessMs;
      const res = cost.resourceBuildMs + cost.resourceProcessMs;
      process.stdout.write(
        `${String(size).padStart(
          7,
        )} entities: ML build ${cost.modelBuildMs.toFixed(
          0,
        )} + processors ${cost.modelProcessMs.toFixed(0)} = ${ml.toFixed(
          0,
        )} ms` +
          ` | Resource build ${cost.resourceBuildMs.toFixed(
            0,
          )} + processors ${cost.resourceProcessMs.toFixed(0)} = ${res.toFixed(
            0,
          )} ms` +
          ` | ${cost.ratio.toFixed(
            2,
          )}x overall, ${cost.processorsOnlyRatio.toFixed(
            2,
          )}x processors only` +
          ` | ${((ml / size) * 1000).toFixed(1)} vs ${(
            (res / size) *
            1000
          ).toFixed(1)} ms per 1k (load ${load()})\n`,
      );
    }
  }
  // Marginal cost between successive sizes: does either arm grow faster
  // than linearly, and does the ratio drift with size?
  const slopes = results.slice(1).map((r, i) => {
    const p = results[i];
    const per1k = (a: number, b: number) =>
      ((a - b) / (r.entities - p.entities)) * 1000;
    return {
      from: p.entities,
      to: r.entities,
      mlMsPer1k: per1k(
        r.modelBuildMs + r.modelProcessMs,
        p.modelBuildMs + p.modelProcessMs,
      ),
      resourceMsPer1k: per1k(
        r.resourceBuildMs + r.resourceProcessMs,
        p.resourceBuildMs + p.resourceProcessMs,
      ),
    };
  });
  const loadAfter = load();
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify({
        bench: 'catalog',
        runs: RUNS,
        loadBefore,
        loadAfter,
        results,
        slopes,
      })}\n`,
    );
    return;
  }
  for (const s of slopes) {
    process.stdout.write(
      `slope ${s.from} -> ${s.to}: ML ${s.mlMsPer1k.toFixed(
        1,
      )} ms per 1k entities, Resource ${s.resourceMsPer1k.toFixed(
        1,
      )} ms per 1k (${(s.mlMsPer1k / s.resourceMsPer1k).toFixed(2)}x)\n`,
    );
  }
  const ratios = results.map(r => r.ratio.toFixed(2)).join(' -> ');
  process.stdout.write(
    `ratio by size: ${ratios} (target <= 1.2x); medians of ${RUNS} interleaved runs; load average before ${loadBefore}, after ${loadAfter}\n`,
  );
}

main().catch(e => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
