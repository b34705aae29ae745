/*
 * Feast -> catalog benchmark (issue 19: 2,000 feature views in <= 20 s).
 *
 *   node --require ./node_modules/@backstage/cli/config/nodeTransform.cjs \
 *     bench/feast.ts [--views 2000] [--services 200] [--json]
 *
 * 1. Writes a feature repository of `--views` feature views (one entity,
 *    three typed features each, a FileSource per 100 views, tags with an
 *    owner) and `--services` feature services of 10 views each, runs a real
 *    `feast apply` and Feast's registry REST server (startFeast).
 * 2. Ingests it with the catalog's FeastEntityProvider into a counting
 *    connection: wall time and registry requests of one full refresh (the
 *    first, cold, and a second one), then runs every provided Dataset
 *    through the MlEntitiesProcessor (validate + relations) and counts the
 *    invalid ones (must be 0).
 */
import { parseArgs } from 'node:util';
import { Entity } from '@backstage/catalog-model';
import {
  EntityProviderConnection,
  EntityProviderMutation,
} from '@backstage/plugin-catalog-node';
import { MlEntitiesProcessor } from '@mlplatform/plugin-catalog-backend-module-ml';
import { startFeast } from '@mlplatform/test-services';
import { FeastEntityProvider } from '../plugins/catalog-backend-module-ml/src/feastProvider/FeastEntityProvider';

const { values } = parseArgs({
  options: {
    views: { type: 'string', default: '2000' },
    services: { type: 'string', default: '200' },
    json: { type: 'boolean', default: false },
  },
});
const VIEWS = Number(values.views);
const SERVICES = Number(values.services);

function definitions(): string {
  return `
from datetime import timedelta
from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Float32, Int64, String

user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
sources = [FileSource(name=f"events_{s}", path="events.parquet",
                      timestamp_field="event_timestamp",
                      tags={"owner": "bench-team"})
           for s in range(${Math.max(1, Math.ceil(VIEWS / 100))})]
views = []
for i in range(${VIEWS}):
    v = FeatureView(
        name=f"bench_view_{i}", entities=[user], ttl=timedelta(hours=1 + i % 48),
        schema=[Field(name="count_1h", dtype=Int64),
                Field(name="score", dtype=Float32),
                Field(name="segment", dtype=String)],
        source=sources[i // 100], online=True,
        tags={"owner": "bench-team", "system": "bench", "tier": str(i % 3)})
    globals()[f"bench_view_{i}"] = v
    views.append(v)
for s in range(${SERVICES}):
    members = [views[(s * 10 + k) % len(views)] for k in range(10)]
    globals()[f"bench_service_{s}"] = FeatureService(
        name=f"bench_service_{s}", features=members, tags={"owner": "bench-team"})
`;
}

const prepare = `
import datetime as dt
import pandas as pd
pd.DataFrame({"user_id": [1], "count_1h": [1], "score": [0.5], "segment": ["a"],
              "event_timestamp": [dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)]}
            ).to_parquet("events.parquet")
`;

class CountingConnection implements EntityProviderConnection {
  entities: Entity[] = [];
  async applyMutation(mutation: EntityProviderMutation) {
    if (mutation.type === 'full') {
      this.entities = mutation.entities.map(e => e.entity);
    }
  }
  async refresh() {}
}

async function main() {
  const applyStarted = Date.now();
  const feast = await startFeast({
    repo: { project: 'bench', definitions: definitions(), prepare },
    startTimeoutMs: 900_000,
    // As a registry server in production would: not re-read per request.
    registryCacheTtlSeconds: 600,
  });
  const applyMs = Date.now() - applyStarted;
  const report: Record<string, unknown> = {
    views: VIEWS,
    services: SERVICES,
    applyAndStartMs: applyMs,
  };
  try {
    const connection = new CountingConnection();
    const provider = new FeastEntityProvider({
      registry: { name: 'bench', url: feast.url, projects: ['bench'] },
      logger: {
        info() {},
        warn(message: string) {
          process.stderr.write(`${message}\n`);
        },
        error() {},
        debug() {},
        child() {
          return this;
        },
      } as any,
    });
    await provider.connect(connection);
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const started = Date.now();
      const result = await provider.refresh();
      if (result.error) throw new Error(result.error);
      runs.push({
        ms: Date.now() - started,
        requests: result.requests,
        datasets: result.datasets,
        skipped: result.skipped.length,
      });
    }
    report.ingest = runs[0];
    report.reingest = runs[1];

    const processor = new MlEntitiesProcessor();
    const started = Date.now();
    let invalid = 0;
    let relations = 0;
    for (const entity of connection.entities) {
      const pre = await processor.preProcessEntity(entity);
      if (!(await processor.validateEntityKind(pre))) invalid++;
      await processor.postProcessEntity(
        pre,
        { type: 'ml-feast', target: 'bench' },
        r => {
          if (r.type === 'relation') relations++;
        },
      );
    }
    report.processing = {
      entities: connection.entities.length,
      ms: Date.now() - started,
      invalid,
      relations,
    };
  } finally {
    await feast.stop();
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const r = report as any;
    process.stdout.write(
      [
        `feast bench: ${VIEWS} feature views, ${SERVICES} feature services`,
        `feast apply + registry server start: ${r.applyAndStartMs} ms (setup, not ingestion)`,
        `ingest (full, first): ${r.ingest.ms} ms, ${r.ingest.requests} requests, ${r.ingest.datasets} Datasets, ${r.ingest.skipped} skipped (target <= 20 s)`,
        `ingest (full, again): ${r.reingest.ms} ms, ${r.reingest.requests} requests`,
        `processors (${r.processing.entities} Datasets): ${r.processing.ms} ms, ${r.processing.invalid} invalid, ${r.processing.relations} relations`,
        '',
      ].join('\n'),
    );
  }
}

main().catch(e => {
  process.stderr.write(`${e.stack ?? e}\n`);
  process.exitCode = 1;
});
