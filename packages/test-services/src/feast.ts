import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { BinarySpec, requireBinary } from './binaries';
import { getFreePort } from './ports';
import { httpStatusIs, launchServer, makeTempDir } from './process';

const execFileAsync = promisify(execFile);

// The venv scripts/bootstrap.sh creates, found from the working directory up
// (tests and the demo run inside the repo).
function bootstrapVenvFeast(): string[] {
  const found: string[] = [];
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    found.push(path.join(dir, '.toolchain', 'feast', 'bin', 'feast'));
    if (path.dirname(dir) === dir) return found;
  }
}

/**
 * The `feast` CLI from the venv that scripts/bootstrap.sh installs
 * (`$ML_FEAST_BIN`, else `.toolchain/feast` of the working directory or a
 * parent), then PATH. Pinned in requirements-feast.txt.
 *
 * @public
 */
export const feastBinary: BinarySpec = {
  name: 'feast',
  aptPackage: 'feast',
  candidates: [
    ...(process.env.ML_FEAST_BIN
      ? [path.join(process.env.ML_FEAST_BIN, 'feast')]
      : []),
    ...bootstrapVenvFeast(),
    'feast',
  ],
  installHint:
    '. scripts/bootstrap.sh (pip installs requirements-feast.txt into .toolchain/feast)',
};

/**
 * A Feast feature repository: its project name, the Python feature
 * definitions `feast apply` reads, and an optional Python script run first
 * in the repository directory by the venv's python (to write the parquet
 * files of its FileSources).
 *
 * @public
 */
export interface FeastRepository {
  /** The Feast project (`project:` of feature_store.yaml). */
  project: string;
  /** Python source of `features.py`: entities, sources, views, services. */
  definitions: string;
  /** Python run before `feast apply` in the repository directory. */
  prepare?: string;
}

/**
 * The demo's fraud feature repository: card and merchant entities, the raw
 * card transactions and chargebacks as FileSources (parquet files written
 * by pandas), three feature views and the `fraud_features` feature service
 * the fraud models are trained on. Tags carry the catalog facts (owner,
 * system, classification, lineage) the way docs/datasets.md describes.
 *
 * @public
 */
export const demoFeastRepository: FeastRepository = {
  project: 'fraud',
  prepare: `
import datetime as dt
import pandas as pd

now = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
ts = [now - dt.timedelta(hours=h) for h in range(4)]
pd.DataFrame({
    "card_id": [1, 2, 1, 3],
    "merchant_id": [10, 20, 20, 30],
    "amount": [12.5, 80.0, 3.2, 410.0],
    # The feature columns, so feast materialize can load every view.
    "tx_count_1h": [1, 1, 2, 1],
    "amount_sum_1h": [12.5, 80.0, 15.7, 410.0],
    "recent_mccs": [["5411"], ["5812"], ["5411", "5999"], ["4829"]],
    "risk_score": [0.1, 0.4, 0.4, 0.9],
    "event_timestamp": ts,
}).to_parquet("card_transactions.parquet")
pd.DataFrame({
    "card_id": [3],
    "chargebacks_90d": [1],
    "event_timestamp": ts[:1],
}).to_parquet("chargebacks.parquet")
`,
  definitions: `
from datetime import timedelta
from feast import Entity, FeatureService, FeatureView, Field, FileSource, ValueType
from feast.types import Array, Float32, Float64, Int64, String

TEAM = {"owner": "fraud-team", "system": "fraud-detection", "classification": "confidential"}

card = Entity(name="card", join_keys=["card_id"], value_type=ValueType.INT64,
              description="A payment card (tokenised)")
merchant = Entity(name="merchant", join_keys=["merchant_id"], value_type=ValueType.INT64,
                  description="A merchant")

card_transactions = FileSource(
    name="card_transactions", path="card_transactions.parquet",
    timestamp_field="event_timestamp",
    description="Raw card transactions",
    tags={"dataset": "card-transactions-raw"})
chargebacks = FileSource(
    name="chargebacks", path="chargebacks.parquet",
    timestamp_field="event_timestamp",
    tags={"dataset": "chargeback-labels"})

card_velocity = FeatureView(
    name="card_velocity", entities=[card], ttl=timedelta(days=1),
    schema=[Field(name="tx_count_1h", dtype=Int64, description="Transactions in the last hour"),
            Field(name="amount_sum_1h", dtype=Float64),
            Field(name="recent_mccs", dtype=Array(String))],
    source=card_transactions, description="How fast a card is spending",
    tags={**TEAM, "producedBy": "fraud-features-pipeline"})
merchant_risk = FeatureView(
    name="merchant_risk", entities=[merchant], ttl=timedelta(hours=6),
    schema=[Field(name="risk_score", dtype=Float32)],
    source=card_transactions, description="Merchant risk score",
    tags={**TEAM, "producedBy": "fraud-features-pipeline"})
card_chargebacks = FeatureView(
    name="card_chargebacks", entities=[card], ttl=timedelta(days=90),
    schema=[Field(name="chargebacks_90d", dtype=Int64)],
    source=chargebacks, description="Confirmed chargebacks per card",
    tags={**TEAM, "producedBy": "fraud-features-pipeline"})

fraud_features = FeatureService(
    name="fraud_features",
    features=[card_velocity, merchant_risk[["risk_score"]], card_chargebacks],
    description="Per-transaction features (velocity, merchant risk, chargebacks) the fraud models are trained on",
    tags={**TEAM, "title": "Fraud features", "producedBy": "fraud-features-pipeline",
          "freshness": "24h"})
`,
};

/**
 * Options for {@link startFeast}.
 *
 * @public
 */
export interface FeastOptions {
  /** The feature repository to apply; default {@link demoFeastRepository}. */
  repo?: FeastRepository;
  /** Port of the REST registry server; default a free one. */
  port?: number;
  /** Keep state here instead of a temp dir (not removed on stop). */
  dir?: string;
  /**
   * How long the registry server caches the registry (feature_store.yaml's
   * `registry.cache_ttl_seconds`); default 1, so a `feast apply` shows at
   * once. Each request after it expires re-reads the whole registry.
   */
  registryCacheTtlSeconds?: number;
  /** Startup timeout in ms (apply + server). Default 120000. */
  startTimeoutMs?: number;
}

/**
 * A running Feast registry REST server over an applied feature repository.
 *
 * @public
 */
export interface FeastHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234`; the API is under `/api/v1`. */
  url: string;
  port: number;
  project: string;
  /** The feature repository directory (feature_store.yaml, features.py). */
  repoDir: string;
  logFile: string;
  /**
   * Replaces `features.py` (and runs `prepare` when given) and runs
   * `feast apply` again; the server's registry cache expires after 1 s.
   */
  apply(repo?: Partial<FeastRepository>): Promise<void>;
  /**
   * Runs `feast materialize <start> <end>` (of `views`, default all): loads
   * the offline data of that interval into the online store and records
   * the interval in the registry (`meta.materializationIntervals`).
   */
  materialize(start: Date, end: Date, views?: string[]): Promise<void>;
  /** Stops the server (and removes its temp dir unless `dir` was given). */
  stop(): Promise<void>;
}

function python(feast: string): string {
  return path.join(path.dirname(feast), 'python');
}

function featureStoreYaml(project: string, cacheTtlSeconds: number): string {
  // A SQL (SQLite) registry whose server-side cache expires after
  // `cacheTtlSeconds` (0 would mean never), so the server sees each `feast
  // apply`; a local provider with a SQLite online store
  // and file offline store: nothing leaves this machine.
  return [
    `project: ${project}`,
    'provider: local',
    'registry:',
    '  registry_type: sql',
    '  path: sqlite:///registry.db',
    `  cache_ttl_seconds: ${cacheTtlSeconds}`,
    'online_store:',
    '  type: sqlite',
    '  path: online.db',
    'offline_store:',
    '  type: file',
    'entity_key_serialization_version: 3',
    '',
  ].join('\n');
}

async function run(
  command: string,
  args: string[],
  cwd: string,
  logFile: string,
  timeout: number,
) {
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd,
      timeout,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    fs.appendFileSync(
      logFile,
      `$ ${path.basename(command)} ${args.join(' ')}\n${stdout}${stderr}`,
    );
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    const out = `${err.stdout ?? ''}${err.stderr ?? ''}`;
    fs.appendFileSync(logFile, out);
    throw new Error(
      `${path.basename(command)} ${args.join(' ')} failed in ${cwd}: ${
        err.message
      }\n${out.slice(-3000)}`,
    );
  }
}

/**
 * Writes a Feast feature repository (feature_store.yaml with a SQLite
 * registry and the local provider, the definitions, the parquet files its
 * `prepare` script writes with the venv's pandas), runs `feast apply`, and
 * starts Feast's registry REST server (`feast serve_registry --no-grpc
 * --rest-api`) on 127.0.0.1 with a free port; waits until
 * `/api/v1/projects` answers. Throws a {@link MissingBinaryError} naming the
 * bootstrap when the venv is missing.
 *
 * @public
 */
export async function startFeast(
  options: FeastOptions = {},
): Promise<FeastHandle> {
  const feast = requireBinary(feastBinary);
  const repo = options.repo ?? demoFeastRepository;
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const dir = options.dir ?? makeTempDir('feast');
  const repoDir = path.join(dir, 'repo');
  fs.mkdirSync(repoDir, { recursive: true });
  const logFile = path.join(dir, 'feast.log');
  fs.writeFileSync(
    path.join(repoDir, 'feature_store.yaml'),
    featureStoreYaml(repo.project, options.registryCacheTtlSeconds ?? 1),
  );

  let current = { ...repo };
  const apply = async (next: Partial<FeastRepository>, first: boolean) => {
    current = { ...current, ...next };
    if (current.prepare && (first || next.prepare !== undefined)) {
      // Beside the repository, not in it: feast apply imports every .py
      // file of the repository.
      const script = path.join(dir, 'prepare_data.py');
      fs.writeFileSync(script, current.prepare);
      await run(python(feast), [script], repoDir, logFile, timeoutMs);
    }
    fs.writeFileSync(path.join(repoDir, 'features.py'), current.definitions);
    await run(feast, ['apply'], repoDir, logFile, timeoutMs);
  };

  try {
    await apply({}, true);
  } catch (e) {
    if (!options.dir) fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const port = options.port || (await getFreePort());
  const url = `http://127.0.0.1:${port}`;
  const server = await launchServer({
    name: 'feast',
    command: feast,
    args: [
      'serve_registry',
      '--no-grpc',
      '--rest-api',
      '--rest-port',
      String(port),
      '--host',
      '127.0.0.1',
    ],
    cwd: repoDir,
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
    logFile,
    // A temp dir of our own is removed on stop; a given dir is kept.
    tempDir: options.dir ? path.join(dir, '.nothing-to-remove') : dir,
    exitSignal: 'SIGTERM',
    ready: httpStatusIs(`${url}/api/v1/projects`),
    timeoutMs,
  });

  return {
    url,
    port,
    project: repo.project,
    repoDir,
    logFile,
    apply: next => apply(next ?? {}, false),
    materialize: (start, end, views) =>
      run(
        feast,
        [
          'materialize',
          // Feast reads naive times as UTC.
          start.toISOString().slice(0, 19),
          end.toISOString().slice(0, 19),
          ...(views ?? []).flatMap(v => ['--views', v]),
        ],
        repoDir,
        logFile,
        timeoutMs,
      ),
    stop: server.stop,
  };
}
