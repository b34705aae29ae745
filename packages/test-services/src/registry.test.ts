import crypto from 'node:crypto';
import { describeIfBinary, serverBinaries } from './binaries';
import { bcryptHash } from './htpasswd';
import {
  OCI_MANIFEST_MEDIA_TYPE,
  RegistryHandle,
  startRegistry,
} from './registry';

const sha256 = (data: Buffer | string) =>
  `sha256:${crypto.createHash('sha256').update(data).digest('hex')}`;

describe('bcryptHash', () => {
  it('produces distinct salted bcrypt hashes', () => {
    const a = bcryptHash('secret');
    expect(a).toMatch(/^\$2[aby]\$05\$[./A-Za-z0-9]{53}$/);
    expect(bcryptHash('secret')).not.toBe(a);
  });
});

describeIfBinary(serverBinaries.registry)('startRegistry', () => {
  let open: RegistryHandle;
  let secured: RegistryHandle;

  beforeAll(async () => {
    [open, secured] = await Promise.all([
      startRegistry(),
      startRegistry({ htpasswd: { username: 'ci', password: 'p@ss:word' } }),
    ]);
  }, 30000);

  afterAll(() => Promise.all([open?.stop(), secured?.stop()]));

  it('stores an OCI artifact with custom config type and annotations', async () => {
    const repo = 'models/fraud-detector';

    // Raw protocol for the config blob, to pin down what the registry needs.
    const config = Buffer.from(
      JSON.stringify({ framework: 'pytorch', metrics: { auc: 0.93 } }),
    );
    const started = await fetch(`${open.url}/v2/${repo}/blobs/uploads/`, {
      method: 'POST',
    });
    expect(started.status).toBe(202);
    const location = new URL(started.headers.get('location')!, open.url);
    location.searchParams.set('digest', sha256(config));
    const put = await fetch(location, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array(config),
    });
    expect(put.status).toBe(201);
    expect(put.headers.get('docker-content-digest')).toBe(sha256(config));

    // The helper for the layer.
    const weights = await open.pushBlob(repo, 'not really weights');
    expect(weights).toEqual({ digest: sha256('not really weights'), size: 18 });
    const head = await fetch(`${open.url}/v2/${repo}/blobs/${weights.digest}`, {
      method: 'HEAD',
    });
    expect(head.status).toBe(200);

    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: {
        mediaType: 'application/vnd.mlplatform.model.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.mlplatform.model.weights.v1',
          ...weights,
        },
      ],
      annotations: {
        'org.opencontainers.image.title': 'fraud-detector',
        'ai.mlplatform.stage': 'staging',
      },
    };
    const digest = await open.putManifest(repo, 'v1', manifest);
    expect(digest).toBe(sha256(JSON.stringify(manifest)));

    const tags = await (await fetch(`${open.url}/v2/${repo}/tags/list`)).json();
    expect(tags).toEqual({ name: repo, tags: ['v1'] });

    const got = await fetch(`${open.url}/v2/${repo}/manifests/v1`, {
      headers: { Accept: OCI_MANIFEST_MEDIA_TYPE },
    });
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe(OCI_MANIFEST_MEDIA_TYPE);
    const body = await got.json();
    expect(body.annotations).toEqual(manifest.annotations);
    expect(body.config.mediaType).toBe(
      'application/vnd.mlplatform.model.config.v1+json',
    );

    // Delete is enabled in the generated config.
    const del = await fetch(`${open.url}/v2/${repo}/manifests/${digest}`, {
      method: 'DELETE',
    });
    expect(del.status).toBe(202);
    const gone = await fetch(`${open.url}/v2/${repo}/manifests/${digest}`, {
      headers: { Accept: OCI_MANIFEST_MEDIA_TYPE },
    });
    expect(gone.status).toBe(404);
  });

  it('requires basic auth when started with htpasswd', async () => {
    const anonymous = await fetch(`${secured.url}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(
      /^Basic realm="test-registry"/,
    );

    const wrong = await fetch(`${secured.url}/v2/`, {
      headers: {
        Authorization: `Basic ${Buffer.from('ci:nope').toString('base64')}`,
      },
    });
    expect(wrong.status).toBe(401);

    expect((await secured.request('/v2/')).status).toBe(200);
    const blob = await secured.pushBlob('private/model', 'data');
    expect(
      (await secured.request(`/v2/private/model/blobs/${blob.digest}`)).status,
    ).toBe(200);
    expect(
      (await fetch(`${secured.url}/v2/private/model/blobs/${blob.digest}`))
        .status,
    ).toBe(401);
  });
});
