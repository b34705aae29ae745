import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, ParseArgsConfig } from 'node:util';
import {
  pushDataset,
  PushArtifactOptions,
  PushArtifactResult,
  pushModel,
} from '@mlplatform/plugin-ml-oci';
import { DatasetClassification } from '@mlplatform/plugin-ml-common';

const COMMON_USAGE = `  --registry URL           registry base URL, e.g. http://127.0.0.1:5000
  --repository PATH        repository, e.g. models/fraud-detector
  --tag VERSION            version tag, e.g. v3 or 1.2.0
  --alias NAME             also point this alias (e.g. staging) at it; repeatable
  --username USER          basic auth user
  --password-stdin         read the password from standard input
  --token TOKEN            bearer token (or ML_PUSH_TOKEN in the environment)
  --ca-file FILE           PEM CA bundle for a registry with a private CA
  --force                  overwrite an existing version tag
  --json                   print the result as JSON
`;

const USAGE = `Usage: ml-push push --registry URL --repository PATH --tag VERSION --file FILE [options]
       ml-push push-dataset --registry URL --repository PATH --tag VERSION --location URI [options]

push: pushes a model file to an OCI registry as a model artifact.
push-dataset: records a dataset version (data stays at --location) as a dataset artifact.

Common options:
${COMMON_USAGE}
push:
  --file FILE              the model file (weights, ONNX graph, ...)
  --framework NAME         e.g. onnx, pytorch
  --metric NAME=VALUE      an evaluation metric; repeatable
  --pipeline-run ID        id or URL of the training run
  --dataset-digest DIGEST  digest of a training dataset version; repeatable
  --owner REF              owning group, e.g. group:default/fraud-team
  --pipeline REF           Pipeline entity that trained it
  --trained-on REF         Dataset entity it was trained on; repeatable
  --model-type TYPE        e.g. classifier

push-dataset:
  --location URI           where the data is, e.g. s3://ml-data/fraud/features/
  --format NAME            e.g. parquet, csv, jsonl
  --type TYPE              the Dataset's type, e.g. table, images, features
  --rows N                 number of records
  --classification LEVEL   public, internal, confidential or restricted
  --owner REF              owning group, e.g. group:default/fraud-team
  --produced-by REF        Pipeline entity that produced it
  --pipeline-run ID        id or URL of the run that produced this version
  --derived-from REF       Dataset entity it was derived from; repeatable
  --schema-file FILE       attach the record schema; its sha256 is the schema digest
  --schema-digest DIGEST   the schema digest, when the schema is not attached
  --schema-ref URI         URI of the authoritative schema
  --attach FILE            attach a document (data card, sample); repeatable
`;

type Options = NonNullable<ParseArgsConfig['options']>;

const COMMON_OPTIONS: Options = {
  registry: { type: 'string' },
  repository: { type: 'string' },
  tag: { type: 'string' },
  alias: { type: 'string', multiple: true },
  username: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  token: { type: 'string' },
  'ca-file': { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
};

const MODEL_OPTIONS: Options = {
  file: { type: 'string' },
  framework: { type: 'string' },
  metric: { type: 'string', multiple: true },
  'pipeline-run': { type: 'string' },
  'dataset-digest': { type: 'string', multiple: true },
  owner: { type: 'string' },
  pipeline: { type: 'string' },
  'trained-on': { type: 'string', multiple: true },
  'model-type': { type: 'string' },
};

const DATASET_OPTIONS: Options = {
  location: { type: 'string' },
  format: { type: 'string' },
  type: { type: 'string' },
  rows: { type: 'string' },
  classification: { type: 'string' },
  owner: { type: 'string' },
  'produced-by': { type: 'string' },
  'pipeline-run': { type: 'string' },
  'derived-from': { type: 'string', multiple: true },
  'schema-file': { type: 'string' },
  'schema-digest': { type: 'string' },
  'schema-ref': { type: 'string' },
  attach: { type: 'string', multiple: true },
};

type Values = Record<
  string,
  string | boolean | Array<string | boolean> | undefined
>;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

function parseMetrics(values: string[] = []): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const v of values) {
    const m = /^([^=]+)=(.+)$/.exec(v);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !Number.isFinite(value)) {
      throw new Error(`--metric "${v}" must be NAME=NUMBER, e.g. auc=0.97`);
    }
    metrics[m[1].trim()] = value;
  }
  return metrics;
}

function parseRows(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) {
    throw new Error(`--rows "${value}" must be a whole number, 0 or more`);
  }
  return Number(value);
}

function readInput(file: string, flag: string) {
  try {
    return { name: path.basename(file), data: readFileSync(file) };
  } catch (e) {
    throw new Error(
      `${flag} "${file}" cannot be read: ${
        (e as NodeJS.ErrnoException).code ?? (e as Error).message
      }`,
    );
  }
}

/** Where and how to push, from the options every command shares. */
async function artifactOptions(
  values: Values,
  required: string[],
): Promise<PushArtifactOptions> {
  for (const name of ['registry', 'repository', 'tag', ...required]) {
    if (!values[name]) throw new Error(`--${name} is required`);
  }
  if (values['password-stdin'] && !values.username) {
    throw new Error('--password-stdin needs --username');
  }
  const password = values['password-stdin'] ? await readStdin() : undefined;
  const caFile = values['ca-file'] as string | undefined;
  const ca = caFile ? readInput(caFile, '--ca-file').data : undefined;
  return {
    registry: values.registry as string,
    repository: values.repository as string,
    tag: values.tag as string,
    aliases: values.alias as string[] | undefined,
    username: values.username as string | undefined,
    password,
    token: (values.token as string | undefined) ?? process.env.ML_PUSH_TOKEN,
    ca,
    force: values.force as boolean | undefined,
  };
}

async function pushModelCommand(values: Values) {
  const common = await artifactOptions(values, ['file']);
  return pushModel({
    ...common,
    file: values.file as string,
    framework: values.framework as string | undefined,
    metrics: parseMetrics(values.metric as string[] | undefined),
    pipelineRun: values['pipeline-run'] as string | undefined,
    datasetDigests: values['dataset-digest'] as string[] | undefined,
    owner: values.owner as string | undefined,
    pipeline: values.pipeline as string | undefined,
    trainedOn: values['trained-on'] as string[] | undefined,
    modelType: values['model-type'] as string | undefined,
  });
}

async function pushDatasetCommand(values: Values) {
  const rows = parseRows(values.rows as string | undefined);
  const schemaFile = values['schema-file'] as string | undefined;
  if (schemaFile && values['schema-digest']) {
    throw new Error(
      '--schema-digest and --schema-file exclude each other: the digest of an attached schema is computed',
    );
  }
  const common = await artifactOptions(values, ['location']);
  const files = [
    ...(schemaFile ? [readInput(schemaFile, '--schema-file')] : []),
    ...((values.attach as string[] | undefined) ?? []).map(f =>
      readInput(f, '--attach'),
    ),
  ];
  return pushDataset({
    ...common,
    location: values.location as string,
    format: values.format as string | undefined,
    datasetType: values.type as string | undefined,
    rows,
    classification: values.classification as DatasetClassification | undefined,
    owner: values.owner as string | undefined,
    producedBy: values['produced-by'] as string | undefined,
    pipelineRun: values['pipeline-run'] as string | undefined,
    derivedFrom: values['derived-from'] as string[] | undefined,
    schemaDigest: schemaFile
      ? `sha256:${createHash('sha256').update(files[0].data).digest('hex')}`
      : (values['schema-digest'] as string | undefined),
    schemaRef: values['schema-ref'] as string | undefined,
    files,
  });
}

const COMMANDS: Record<
  string,
  { options: Options; run: (values: Values) => Promise<PushArtifactResult> }
> = {
  push: { options: MODEL_OPTIONS, run: pushModelCommand },
  'push-dataset': { options: DATASET_OPTIONS, run: pushDatasetCommand },
};

/**
 * Runs the CLI with `argv` (without node and script). Returns the exit code.
 *
 * @public
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command ? 0 : 2;
  }
  const selected = COMMANDS[command];
  if (!selected) {
    process.stderr.write(`ml-push: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: { ...COMMON_OPTIONS, ...selected.options },
    });
    const result = await selected.run(values);
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else {
      const aliases = result.aliases.length
        ? ` (aliases: ${result.aliases.join(', ')})`
        : '';
      process.stdout.write(
        `pushed ${result.ref}:${result.tag} ${result.digest}, ${result.sizeBytes} bytes${aliases}\n`,
      );
    }
    return 0;
  } catch (e) {
    process.stderr.write(`ml-push: ${(e as Error).message}\n`);
    return 1;
  }
}
