import { mockServices } from '@backstage/backend-test-utils';
import {
  describeIfBinary,
  RegistryHandle,
  serverBinaries,
  startRegistry,
} from '@mlplatform/test-services';
import { OciDistributionClient } from '@mlplatform/plugin-ml-oci';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RegistryConfig } from '../../config';
import { RegistryService } from './RegistryService';
import {
  pushWithCli,
  startConnectionRecorder,
  startFaultProxy,
  startTokenAuthProxy,
} from './__testUtils__/registryTestUtils';

jest.setTimeout(60_000);

const REPO = 'models/fraud-detector';

async function tagDigest(registry: RegistryHandle, tag: string) {
  const res = await registry.request(`/v2/${REPO}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  return res.headers.get('docker-content-digest');
}

describeIfBinary(serverBinaries.registry)('OCI registry adapter', () => {
  const modelFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'ml-push-')),
    'model.onnx',
  );
  fs.writeFileSync(modelFile, 'fake onnx graph bytes');

  describe.each([
    ['without auth', undefined],
    ['with basic auth', { username: 'ci', password: 'pa:ss word' }],
  ] as const)('%s', (_label, htpasswd) => {
    let registry: RegistryHandle;
    let service: RegistryService;
    let ref: string;
    const cliOutput: string[] = [];

    beforeAll(async () => {
      registry = await startRegistry(htpasswd ? { htpasswd } : {});
      const config: RegistryConfig = {
        name: 'local',
        type: 'oci',
        url: registry.url,
        ...htpasswd,
      };
      service = RegistryService.create({
        registries: [config],
        logger: mockServices.logger.mock(),
      });
      ref = `oci://${registry.host}/${REPO}`;
      const auth = htpasswd ? ['--username', htpasswd.username] : [];
      for (const [tag, auc] of [
        ['v1', '0.91'],
        ['v2', '0.95'],
        ['v3', '0.97'],
      ]) {
        const result = await pushWithCli(
          [
            '--registry',
            registry.url,
            '--repository',
            REPO,
            '--tag',
            tag,
            '--file',
            modelFile,
            '--framework',
            'onnx',
            '--metric',
            `auc=${auc}`,
            '--metric',
            'recall=0.8',
            '--pipeline-run',
            `fraud-train-${tag}`,
            '--dataset-digest',
            'sha256:aaaa',
            '--owner',
            'group:default/fraud-team',
            ...(tag === 'v2' ? ['--alias', 'production'] : []),
            ...auth,
          ],
          htpasswd?.password,
        );
        if (result.code !== 0) throw new Error(`ml-push: ${result.stderr}`);
        cliOutput.push(result.stdout);
        // Distinct creation times: the CLI stamps "now".
        await new Promise(r => setTimeout(r, 5));
      }
    });

    afterAll(async () => {
      service?.close();
      await registry?.stop();
    });

    it('pushes versions with the CLI', () => {
      expect(cliOutput).toEqual(
        ['v1', 'v2', 'v3'].map(tag =>
          expect.stringMatching(
            new RegExp(
              `^pushed ${ref}:${tag} sha256:[0-9a-f]{64}, \\d+ bytes${
                tag === 'v2' ? ' \\(aliases: production\\)' : ''
              }\\n$`,
            ),
          ),
        ),
      );
    });

    it('lists versions newest first with metrics, run, datasets, size and aliases', async () => {
      const versions = await service.listVersions(ref);
      expect(versions.map(v => v.version)).toEqual(['v3', 'v2', 'v1']);
      expect(versions.map(v => v.metrics.auc)).toEqual([0.97, 0.95, 0.91]);
      expect(versions[1]).toMatchObject({
        aliases: ['production'],
        framework: 'onnx',
        sourceRun: { id: 'fraud-train-v2' },
        datasetDigests: ['sha256:aaaa'],
        metrics: { auc: 0.95, recall: 0.8 },
      });
      expect(versions[1].digest).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(versions[1].sizeBytes).toBeGreaterThan(
        'fake onnx graph bytes'.length,
      );
      expect(versions[0].aliases).toEqual([]);
      expect(Date.parse(versions[0].created!)).toBeGreaterThan(
        Date.parse(versions[2].created!),
      );
    });

    it('promotes: moves production from v2 to v3 by re-tagging the manifest', async () => {
      const v3 = await tagDigest(registry, 'v3');
      expect(await tagDigest(registry, 'production')).toBe(
        await tagDigest(registry, 'v2'),
      );
      const result = await service.setAlias(ref, 'production', 'v3');
      expect(result).toEqual({ previousVersion: 'v2', digest: v3 });
      expect(await tagDigest(registry, 'production')).toBe(v3);
      const versions = await service.listVersions(ref);
      expect(versions.find(v => v.version === 'v3')?.aliases).toEqual([
        'production',
      ]);
      expect(versions.find(v => v.version === 'v2')?.aliases).toEqual([]);
    });

    it('refuses to move a version tag or to point an alias at a missing version', async () => {
      const before = await tagDigest(registry, 'v1');
      await expect(service.setAlias(ref, 'v1', 'v3')).rejects.toThrow(
        /Invalid alias "v1": it looks like a version tag/,
      );
      await expect(service.setAlias(ref, 'staging', 'v9')).rejects.toThrow(
        /Version "v9" of models\/fraud-detector not found in registry "local".*versions: v3, v2, v1/,
      );
      expect(await tagDigest(registry, 'v1')).toBe(before);
      expect(await tagDigest(registry, 'staging')).toBeNull();
    });

    it('refuses the CLI pushing an existing version again', async () => {
      const result = await pushWithCli(
        [
          '--registry',
          registry.url,
          '--repository',
          REPO,
          '--tag',
          'v3',
          '--file',
          modelFile,
          ...(htpasswd ? ['--username', htpasswd.username] : []),
        ],
        htpasswd?.password,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(
        /models\/fraud-detector:v3 already exists \(sha256:.*ml-push --force/,
      );
    });

    it('reports an unknown repository as not found, naming the registry', async () => {
      await expect(
        service.listVersions(`oci://${registry.host}/models/nope`),
      ).rejects.toMatchObject({
        name: 'NotFoundError',
        message: expect.stringMatching(
          /Tags of models\/nope not found in registry "local" \(127\.0\.0\.1:\d+\)/,
        ),
      });
    });
  });

  describe('errors', () => {
    let registry: RegistryHandle;
    beforeAll(async () => {
      registry = await startRegistry({
        htpasswd: { username: 'ci', password: 'right' },
      });
      await registry.pushBlob('models/a', 'x');
      for (const repo of ['models/a', 'models/b', 'models/c', 'other/d']) {
        const blob = await registry.pushBlob(repo, 'cfg');
        await registry.putManifest(repo, 'v1', {
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.mlplatform.model.config.v1+json',
            ...blob,
          },
          layers: [],
        });
      }
    });
    afterAll(() => registry?.stop());

    it('refuses a host not in config before sending anything', async () => {
      const recorder = await startConnectionRecorder();
      try {
        const service = RegistryService.create({
          registries: [{ name: 'local', type: 'oci', url: registry.url }],
          logger: mockServices.logger.mock(),
        });
        const foreign = `oci://${recorder.host}/models/a`;
        await expect(service.listVersions(foreign)).rejects.toMatchObject({
          name: 'InputError',
          message: `Registry host ${recorder.host} is not configured under ml.registries; refusing to contact it`,
        });
        await expect(
          service.setAlias(foreign, 'production', 'v1'),
        ).rejects.toThrow(/is not configured under ml.registries/);
        await new Promise(r => setTimeout(r, 50));
        expect(recorder.connections).toBe(0);
      } finally {
        await recorder.stop();
      }
    });

    it('refuses bad refs with a clear message and no request', async () => {
      let requests = 0;
      const service = RegistryService.create({
        registries: [{ name: 'local', type: 'oci', url: registry.url }],
        logger: mockServices.logger.mock(),
        ociClientOptions: { onRequest: () => requests++ },
      });
      const host = registry.host;
      const cases: Array<[string, RegExp]> = [
        [
          `oci://${host}/models/../etc`,
          /may not contain empty, "\." or "\.\." segments/,
        ],
        [`oci://${host}/models//a`, /may not contain empty/],
        [`oci://${host}/Models/A`, /must be lower case \("Models"\)/],
        [`oci://${host}/models/a?x=1`, /may not contain \? # @/],
        [`oci://${host}`, /expected oci:\/\/host\[:port\]\/repository/],
        [`http://${host}/models/a`, /No registry of type http/],
        [
          `models/a`,
          /expected oci:\/\/host\[:port\]\/repository or mlflow:\/\/name/,
        ],
        [`oci://us er@${host}/models/a`, /is not a host\[:port\]/],
      ];
      for (const [ref, message] of cases) {
        await expect(service.listVersions(ref)).rejects.toMatchObject({
          name: 'InputError',
          message: expect.stringMatching(message),
        });
      }
      const good = `oci://${host}/models/a`;
      await expect(service.setAlias(good, 'prod/uction', 'v1')).rejects.toThrow(
        /Invalid alias "prod\/uction"/,
      );
      await expect(
        service.setAlias(good, 'production', '../v1'),
      ).rejects.toThrow(/Invalid version "\.\.\/v1"/);
      expect(requests).toBe(0);
    });

    it('maps a wrong password (401) to an error naming the registry and user', async () => {
      const service = RegistryService.create({
        registries: [
          {
            name: 'secured',
            type: 'oci',
            url: registry.url,
            username: 'ci',
            password: 'wrong',
          },
        ],
        logger: mockServices.logger.mock(),
      });
      await expect(
        service.listVersions(`oci://${registry.host}/models/a`),
      ).rejects.toMatchObject({
        name: 'ServiceUnavailableError',
        message: expect.stringMatching(
          /The registry "secured" \(127\.0\.0\.1:\d+\) refused the configured credentials of user "ci" for tags of models\/a \(HTTP 401\)/,
        ),
      });
    });

    it('maps a 500 from the registry to an error naming it', async () => {
      const proxy = await startFaultProxy(registry.url);
      try {
        const service = RegistryService.create({
          registries: [
            {
              name: 'flaky',
              type: 'oci',
              url: proxy.url,
              username: 'ci',
              password: 'right',
            },
          ],
          logger: mockServices.logger.mock(),
          versionsCacheTtlMs: 0,
        });
        const ref = `oci://${proxy.host}/models/a`;
        expect(await service.listVersions(ref)).toHaveLength(1);
        proxy.failOn(/\/tags\/list/);
        await expect(service.listVersions(ref)).rejects.toMatchObject({
          name: 'ServiceUnavailableError',
          message: expect.stringMatching(
            /The registry "flaky" \(127\.0\.0\.1:\d+\) failed with HTTP 500 on tags of models\/a: UNKNOWN storage backend exploded/,
          ),
        });
      } finally {
        await proxy.stop();
      }
    });

    it('follows the Bearer token flow of the registry, on its own host only', async () => {
      const open = await startRegistry();
      const recorder = await startConnectionRecorder();
      const front = await startTokenAuthProxy(open.url, {
        username: 'ci',
        password: 'right',
      });
      const foreignRealm = await startTokenAuthProxy(open.url, {
        username: 'ci',
        password: 'right',
        realm: `http://${recorder.host}/token`,
      });
      try {
        const blob = await open.pushBlob('models/a', 'cfg');
        await open.putManifest('models/a', 'v1', {
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: {
            mediaType: 'application/vnd.mlplatform.model.config.v1+json',
            ...blob,
          },
          layers: [],
        });
        const service = RegistryService.create({
          registries: [
            {
              name: 'harbor',
              type: 'oci',
              url: front.url,
              username: 'ci',
              password: 'right',
            },
            {
              name: 'elsewhere',
              type: 'oci',
              url: foreignRealm.url,
              username: 'ci',
              password: 'right',
            },
          ],
          logger: mockServices.logger.mock(),
        });
        const versions = await service.listVersions(
          `oci://${front.host}/models/a`,
        );
        expect(versions.map(v => v.version)).toEqual(['v1']);
        expect(front.tokenRequests[0]).toBe(
          '?service=test-registry&scope=repository%3Amodels%2Fa%3Apull',
        );
        await expect(
          service.listVersions(`oci://${foreignRealm.host}/models/a`),
        ).rejects.toMatchObject({
          name: 'InputError',
          message: `Registry "elsewhere" (${foreignRealm.host}) asks for a token from ${recorder.host}, which is not configured under ml.registries; refused`,
        });
        await new Promise(r => setTimeout(r, 50));
        expect(recorder.connections).toBe(0);
      } finally {
        await Promise.all([
          front.stop(),
          foreignRealm.stop(),
          recorder.stop(),
          open.stop(),
        ]);
      }
    });

    it('pages through _catalog with Link headers', async () => {
      const client = new OciDistributionClient({
        name: 'local',
        url: registry.url,
        username: 'ci',
        password: 'right',
      });
      try {
        const repos = await client.listRepositories({ pageSize: 1 });
        expect(repos).toEqual(['models/a', 'models/b', 'models/c', 'other/d']);
        // One request per page, plus the last, empty-link page.
        expect(client.requestCount).toBe(4);
      } finally {
        client.close();
      }
    });
  });
});
