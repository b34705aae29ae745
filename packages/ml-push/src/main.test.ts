import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DATASET_CONFIG_MEDIA_TYPE,
  DATASET_FILE_MEDIA_TYPE,
  MODEL_CONFIG_MEDIA_TYPE,
} from '@mlplatform/plugin-ml-common';
import { OciDistributionClient } from '@mlplatform/plugin-ml-oci';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import { main } from './main';

jest.setTimeout(60_000);

/** Runs the CLI in-process; returns its exit code and output. */
async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk: any) => {
      stdout += String(chunk);
      return true;
    });
  const err = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: any) => {
      stderr += String(chunk);
      return true;
    });
  try {
    const code = await main(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describeIfBinary(serverBinaries.registry)('ml-push', () => {
  let registry: RegistryHandle;
  let client: OciDistributionClient;
  let dir: string;
  let schemaFile: string;
  const schema = '{"type":"record","name":"features","fields":[]}';

  beforeAll(async () => {
    registry = await startRegistry();
    client = new OciDistributionClient({ name: 'test', url: registry.url });
    dir = mkdtempSync(path.join(os.tmpdir(), 'ml-push-'));
    schemaFile = path.join(dir, 'features.avsc');
    writeFileSync(schemaFile, schema);
    writeFileSync(path.join(dir, 'model.onnx'), 'weights');
  });

  afterAll(async () => {
    client?.close();
    await registry?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const tagsOf = async (repository: string) => {
    const res = await registry.request(`/v2/${repository}/tags/list`);
    return res.status === 404 ? [] : ((await res.json()).tags as string[]);
  };

  it('push-dataset records a dataset version with its lineage and schema', async () => {
    const result = await run([
      'push-dataset',
      ...[
        '--registry',
        registry.url,
        '--repository',
        'datasets/fraud-features',
      ],
      ...['--tag', 'v1', '--location', 's3://ml-data/fraud/features/v1/'],
      ...['--format', 'parquet', '--type', 'features', '--rows', '120000'],
      ...['--classification', 'confidential'],
      ...['--owner', 'group:default/fraud-team'],
      ...['--produced-by', 'pipeline:default/fraud-features-pipeline'],
      ...['--pipeline-run', 'features-2026-11-23'],
      ...['--derived-from', 'card-transactions-raw'],
      ...['--derived-from', 'chargeback-labels'],
      ...['--schema-file', schemaFile, '--schema-ref', 'https://s.example/f'],
      ...['--alias', 'production', '--json'],
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const pushed = JSON.parse(result.stdout);
    expect(pushed).toMatchObject({
      ref: `oci://${registry.host}/datasets/fraud-features`,
      tag: 'v1',
      aliases: ['production'],
    });

    const { manifest, digest } = await client.getManifest(
      'datasets/fraud-features',
      'production',
    );
    expect(digest).toBe(pushed.digest);
    expect(manifest.config?.mediaType).toBe(DATASET_CONFIG_MEDIA_TYPE);
    expect(manifest.layers).toEqual([
      expect.objectContaining({
        mediaType: DATASET_FILE_MEDIA_TYPE,
        size: schema.length,
        annotations: { 'org.opencontainers.image.title': 'features.avsc' },
      }),
    ]);
    expect(manifest.annotations).toEqual({
      'org.opencontainers.image.created': expect.any(String),
      'org.opencontainers.image.title': 'fraud-features',
      'mlplatform.io/owner': 'group:default/fraud-team',
      'mlplatform.io/dataset-type': 'features',
      'mlplatform.io/format': 'parquet',
      'mlplatform.io/location': 's3://ml-data/fraud/features/v1/',
      'mlplatform.io/rows': '120000',
      'mlplatform.io/classification': 'confidential',
      'mlplatform.io/pipeline': 'pipeline:default/fraud-features-pipeline',
      'mlplatform.io/pipeline-run': 'features-2026-11-23',
      'mlplatform.io/derived-from': 'card-transactions-raw,chargeback-labels',
      'mlplatform.io/schema-digest': `sha256:${createHash('sha256')
        .update(schema)
        .digest('hex')}`,
      'mlplatform.io/schema-ref': 'https://s.example/f',
      'mlplatform.io/version': 'v1',
    });
  });

  it('push still pushes models', async () => {
    const result = await run([
      'push',
      ...['--registry', registry.url, '--repository', 'models/fraud-detector'],
      ...['--tag', 'v1', '--file', path.join(dir, 'model.onnx')],
      ...['--dataset-digest', `sha256:${'0'.repeat(64)}`],
    ]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(
      /^pushed oci:\/\/127\.0\.0\.1:\d+\/models\/fraud-detector:v1 sha256:/,
    );
    const { manifest } = await client.getManifest(
      'models/fraud-detector',
      'v1',
    );
    expect(manifest.config?.mediaType).toBe(MODEL_CONFIG_MEDIA_TYPE);
  });

  it.each([
    [[], '--location is required'],
    [
      ['--location', 'ml-data/fraud'],
      'location "ml-data/fraud" must be a URI with a scheme',
    ],
    [
      ['--location', 's3://d/', '--rows', '12k'],
      '--rows "12k" must be a whole number, 0 or more',
    ],
    [
      ['--location', 's3://d/', '--classification', 'secret'],
      'classification "secret" must be one of public, internal, confidential, restricted',
    ],
    [
      ['--location', 's3://d/', '--owner', 'fraud team'],
      'owner "fraud team" must be an entity reference',
    ],
    [
      ['--location', 's3://d/', '--produced-by', 'a/b/c'],
      'producedBy "a/b/c" must be an entity reference',
    ],
    [
      ['--location', 's3://d/', '--alias', 'v9'],
      'Alias "v9" is not an alias name',
    ],
    [
      ['--location', 's3://d/', '--schema-digest', 'sha256:1'],
      '--schema-digest and --schema-file exclude each other',
      true,
    ],
    [
      ['--location', 's3://d/', '--attach', '/nonexistent/card.md'],
      '--attach "/nonexistent/card.md" cannot be read: ENOENT',
    ],
    [
      ['--location', 's3://d/', '--file', 'model.onnx'],
      "Unknown option '--file'",
    ],
  ])(
    'push-dataset refuses %j with a clear message and pushes nothing',
    async (args, message, withSchema = false) => {
      const result = await run([
        'push-dataset',
        ...['--registry', registry.url, '--repository', 'datasets/refused'],
        '--tag',
        'v1',
        ...(withSchema ? ['--schema-file', schemaFile] : []),
        ...(args as string[]),
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`ml-push: ${message}`);
      expect(result.stdout).toBe('');
      expect(await tagsOf('datasets/refused')).toEqual([]);
    },
  );

  it('refuses to overwrite a dataset version unless --force', async () => {
    const args = [
      'push-dataset',
      ...['--registry', registry.url, '--repository', 'datasets/orders'],
      ...['--tag', 'v1', '--location', 's3://orders/v1/'],
    ];
    expect((await run(args)).code).toBe(0);
    const before = await client.headManifest('datasets/orders', 'v1');
    const again = await run([...args.slice(0, -1), 's3://orders/other/']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(
      `ml-push: datasets/orders:v1 already exists (${before}); pick a new version tag`,
    );
    expect(await client.headManifest('datasets/orders', 'v1')).toBe(before);
    const forced = await run([
      ...args.slice(0, -1),
      's3://orders/other/',
      '--force',
    ]);
    expect(forced.code).toBe(0);
    expect(await client.headManifest('datasets/orders', 'v1')).not.toBe(before);
  });

  it('names both commands in its usage and refuses unknown ones', async () => {
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ml-push push-dataset --registry URL');
    const unknown = await run(['push-data']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('ml-push: unknown command "push-data"');
  });
});

describeIfBinary(serverBinaries.registry)(
  'ml-push as a process, with basic auth',
  () => {
    it('push-dataset reads the password from stdin', async () => {
      const registry = await startRegistry({
        htpasswd: { username: 'ci', password: 's3cret' },
      });
      try {
        const child = execFile(
          process.execPath,
          [
            '--require',
            require.resolve('@backstage/cli/config/nodeTransform.cjs'),
            path.resolve(__dirname, 'cli.ts'),
            'push-dataset',
            ...['--registry', registry.url, '--repository', 'datasets/clicks'],
            ...['--tag', '2026-11-23', '--location', 'gs://clicks/2026-11-23/'],
            ...['--username', 'ci', '--password-stdin'],
          ],
          { env: { PATH: process.env.PATH ?? '' } },
        );
        child.stdin!.end('s3cret\n');
        let stdout = '';
        child.stdout!.on('data', d => (stdout += d));
        const code = await new Promise(resolve => child.on('close', resolve));
        expect(code).toBe(0);
        expect(stdout).toContain(
          `pushed oci://${registry.host}/datasets/clicks:2026-11-23 sha256:`,
        );
        const tags = await registry.request('/v2/datasets/clicks/tags/list');
        expect((await tags.json()).tags).toEqual(['2026-11-23']);
      } finally {
        await registry.stop();
      }
    });
  },
);
