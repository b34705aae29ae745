import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pushModel } from '@mlplatform/plugin-ml-node';

const USAGE = `Usage: ml-push push --registry URL --repository PATH --tag VERSION --file FILE [options]

Pushes a model file to an OCI registry as a model artifact.

Options:
  --registry URL           registry base URL, e.g. http://127.0.0.1:5000
  --repository PATH        repository, e.g. models/fraud-detector
  --tag VERSION            version tag, e.g. v3 or 1.2.0
  --file FILE              the model file (weights, ONNX graph, ...)
  --framework NAME         e.g. onnx, pytorch
  --metric NAME=VALUE      an evaluation metric; repeatable
  --pipeline-run ID        id or URL of the training run
  --dataset-digest DIGEST  digest of a training dataset; repeatable
  --owner REF              owning group, e.g. group:default/fraud-team
  --pipeline REF           Pipeline entity that trained it
  --trained-on REF         Dataset entity it was trained on; repeatable
  --model-type TYPE        e.g. classifier
  --alias NAME             also point this alias (e.g. staging) at it; repeatable
  --username USER          basic auth user
  --password-stdin         read the password from standard input
  --token TOKEN            bearer token (or ML_PUSH_TOKEN in the environment)
  --ca-file FILE           PEM CA bundle for a registry with a private CA
  --force                  overwrite an existing version tag
  --json                   print the result as JSON
`;

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
  if (command !== 'push') {
    process.stderr.write(`ml-push: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  try {
    const { values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        registry: { type: 'string' },
        repository: { type: 'string' },
        tag: { type: 'string' },
        file: { type: 'string' },
        framework: { type: 'string' },
        metric: { type: 'string', multiple: true },
        'pipeline-run': { type: 'string' },
        'dataset-digest': { type: 'string', multiple: true },
        owner: { type: 'string' },
        pipeline: { type: 'string' },
        'trained-on': { type: 'string', multiple: true },
        'model-type': { type: 'string' },
        alias: { type: 'string', multiple: true },
        username: { type: 'string' },
        'password-stdin': { type: 'boolean' },
        token: { type: 'string' },
        'ca-file': { type: 'string' },
        force: { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    for (const required of ['registry', 'repository', 'tag', 'file'] as const) {
      if (!values[required]) throw new Error(`--${required} is required`);
    }
    if (values['password-stdin'] && !values.username) {
      throw new Error('--password-stdin needs --username');
    }
    const password = values['password-stdin'] ? await readStdin() : undefined;
    const result = await pushModel({
      registry: values.registry!,
      repository: values.repository!,
      tag: values.tag!,
      file: values.file!,
      framework: values.framework,
      metrics: parseMetrics(values.metric),
      pipelineRun: values['pipeline-run'],
      datasetDigests: values['dataset-digest'],
      owner: values.owner,
      pipeline: values.pipeline,
      trainedOn: values['trained-on'],
      modelType: values['model-type'],
      aliases: values.alias,
      username: values.username,
      password,
      token: values.token ?? process.env.ML_PUSH_TOKEN,
      ca: values['ca-file'] ? readFileSync(values['ca-file']) : undefined,
      force: values.force,
    });
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
