import { mockServices } from '@backstage/backend-test-utils';
import http from 'node:http';
import net from 'node:net';
import { RegistryService } from './RegistryService';

jest.setTimeout(20_000);

/**
 * A stand-in for an MLflow tracking server's REST API 2.0, answering the
 * documented request and response shapes of the endpoints the adapter uses
 * (registered-models/get, model-versions/search|get,
 * registered-models/alias, registered-models/get-model-version-by-alias,
 * runs/get), with MLflow's error bodies. Pages versions two at a time.
 */
async function startMlflowStandIn(token: string) {
  const aliases = new Map<string, string>([['champion', '1']]);
  const versions = ['1', '2', '3'].map(v => ({
    name: 'transaction-anomaly',
    version: v,
    creation_timestamp: Date.UTC(2026, 0, Number(v)),
    last_updated_timestamp: Date.UTC(2026, 0, Number(v)),
    current_stage: 'None',
    source: `mlflow-artifacts:/7/run-${v}/artifacts/model`,
    run_id: `run-${v}`,
    status: 'READY',
    tags: [{ key: 'framework', value: 'sklearn' }],
  }));
  const runs = new Map(
    versions.map((v, i) => [
      v.run_id,
      {
        info: { run_id: v.run_id, experiment_id: '7', status: 'FINISHED' },
        data: {
          metrics: [
            {
              key: 'precision_at_1pct',
              value: [0.4, 0.41, 0.42][i],
              timestamp: 1,
              step: 0,
            },
          ],
          params: [],
          tags: [],
        },
        inputs: {
          dataset_inputs: [
            {
              tags: [],
              dataset: {
                name: 'fraud-features',
                digest: `d${i}`,
                source_type: 'delta',
                source: '{}',
              },
            },
          ],
        },
      },
    ]),
  );
  const requests: string[] = [];
  const notFound = (message: string) => ({
    status: 404,
    body: { error_code: 'RESOURCE_DOES_NOT_EXIST', message },
  });
  const handle = (
    method: string,
    path: string,
    q: URLSearchParams,
    body: any,
  ): { status: number; body: unknown } => {
    const name = q.get('name') ?? body?.name;
    const modelExists = name === 'transaction-anomaly';
    const withAliases = (v: (typeof versions)[number]) => ({
      ...v,
      aliases: [...aliases]
        .filter(([, ver]) => ver === v.version)
        .map(([a]) => a),
    });
    switch (`${method} ${path}`) {
      case 'GET /api/2.0/mlflow/registered-models/get':
        if (!modelExists)
          return notFound(`Registered Model with name=${name} not found`);
        return {
          status: 200,
          body: {
            registered_model: {
              name,
              creation_timestamp: 1,
              latest_versions: [versions[2]],
              aliases: [...aliases].map(([alias, version]) => ({
                alias,
                version,
              })),
            },
          },
        };
      case 'GET /api/2.0/mlflow/model-versions/search': {
        const m = /^name='(.*)'$/.exec(q.get('filter') ?? '');
        const matching = versions.filter(v => v.name === m?.[1]);
        const start = Number(q.get('page_token') ?? 0);
        const page = matching.slice(start, start + 2);
        return {
          status: 200,
          body: {
            model_versions: page.map(withAliases),
            ...(start + 2 < matching.length
              ? { next_page_token: String(start + 2) }
              : {}),
          },
        };
      }
      case 'GET /api/2.0/mlflow/model-versions/get': {
        const v = versions.find(
          x => modelExists && x.version === q.get('version'),
        );
        if (!v)
          return notFound(
            `Model Version (name=${name}, version=${q.get(
              'version',
            )}) not found`,
          );
        return { status: 200, body: { model_version: withAliases(v) } };
      }
      case 'GET /api/2.0/mlflow/registered-models/get-model-version-by-alias': {
        const version = aliases.get(q.get('alias') ?? '');
        const v = versions.find(x => modelExists && x.version === version);
        if (!v)
          return notFound(
            `Registered model alias ${q.get('alias')} not found.`,
          );
        return { status: 200, body: { model_version: withAliases(v) } };
      }
      case 'POST /api/2.0/mlflow/registered-models/alias':
        if (!versions.some(x => modelExists && x.version === body.version)) {
          return notFound(
            `Model Version (name=${name}, version=${body.version}) not found`,
          );
        }
        aliases.set(body.alias, body.version);
        return { status: 200, body: {} };
      case 'GET /api/2.0/mlflow/runs/get': {
        const run = runs.get(q.get('run_id') ?? '');
        if (!run) return notFound(`Run '${q.get('run_id')}' not found`);
        return { status: 200, body: { run } };
      }
      default:
        return {
          status: 404,
          body: {
            error_code: 'ENDPOINT_NOT_FOUND',
            message: 'No such endpoint',
          },
        };
    }
  };
  let failWith: number | undefined;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      requests.push(`${req.method} ${url.pathname}`);
      let result: { status: number; body: unknown };
      if (req.headers.authorization !== `Bearer ${token}`) {
        result = {
          status: 401,
          body: { error_code: 'UNAUTHENTICATED', message: 'Unauthorized' },
        };
      } else if (failWith) {
        result = {
          status: failWith,
          body: { error_code: 'INTERNAL_ERROR', message: 'database is locked' },
        };
      } else {
        const body = chunks.length
          ? JSON.parse(Buffer.concat(chunks).toString())
          : undefined;
        result = handle(
          req.method ?? 'GET',
          url.pathname,
          url.searchParams,
          body,
        );
      }
      res.writeHead(result.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(result.body));
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    aliases,
    fail(status: number | undefined) {
      failWith = status;
    },
    stop: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('MLflow registry adapter', () => {
  let mlflow: Awaited<ReturnType<typeof startMlflowStandIn>>;
  let service: RegistryService;
  const ref = 'mlflow://transaction-anomaly';

  beforeAll(async () => {
    mlflow = await startMlflowStandIn('mlflow-token');
    service = RegistryService.create({
      registries: [
        {
          name: 'mlflow',
          type: 'mlflow',
          url: mlflow.url,
          token: 'mlflow-token',
        },
      ],
      logger: mockServices.logger.mock(),
    });
  });
  afterAll(async () => {
    service?.close();
    await mlflow?.stop();
  });

  it('lists versions newest first with aliases, run metrics, run links and dataset digests', async () => {
    const versions = await service.listVersions(ref);
    expect(versions.map(v => [v.version, v.aliases])).toEqual([
      ['3', []],
      ['2', []],
      ['1', ['champion']],
    ]);
    expect(versions[0]).toMatchObject({
      created: '2026-01-03T00:00:00.000Z',
      metrics: { precision_at_1pct: 0.42 },
      framework: 'sklearn',
      sourceRun: {
        id: 'run-3',
        url: `${mlflow.url}/#/experiments/7/runs/run-3`,
      },
      datasetDigests: ['d2'],
    });
    // Two pages of versions.
    expect(
      mlflow.requests.filter(r => r.endsWith('model-versions/search')),
    ).toHaveLength(2);
  });

  it('moves an alias and reports the previous version', async () => {
    expect(await service.setAlias(ref, 'champion', '3')).toEqual({
      previousVersion: '1',
    });
    expect(mlflow.aliases.get('champion')).toBe('3');
    expect(await service.setAlias(ref, 'challenger', '2')).toEqual({
      previousVersion: undefined,
    });
    const versions = await service.listVersions(ref);
    expect(versions.map(v => [v.version, v.aliases])).toEqual([
      ['3', ['champion']],
      ['2', ['challenger']],
      ['1', []],
    ]);
  });

  it('refuses bad input before sending anything and maps MLflow errors', async () => {
    const before = mlflow.requests.length;
    await expect(service.setAlias(ref, 'v2', '2')).rejects.toMatchObject({
      name: 'InputError',
      message: expect.stringMatching(/may not be v<number>/),
    });
    await expect(service.setAlias(ref, 'champion', 'latest')).rejects.toThrow(
      /MLflow versions are numbers/,
    );
    await expect(service.listVersions('mlflow://bad name')).rejects.toThrow(
      /Invalid registry ref "mlflow:\/\/bad name"/,
    );
    expect(mlflow.requests.length).toBe(before);

    await expect(service.setAlias(ref, 'champion', '9')).rejects.toMatchObject({
      name: 'NotFoundError',
      message:
        'Version 9 of "transaction-anomaly" not found in MLflow registry "mlflow" (' +
        `${
          new URL(mlflow.url).host
        }): RESOURCE_DOES_NOT_EXIST Model Version (name=transaction-anomaly, version=9) not found`,
    });
    expect(mlflow.aliases.get('champion')).toBe('3');
    await expect(
      service.listVersions('mlflow://unknown-model'),
    ).rejects.toMatchObject({
      name: 'NotFoundError',
    });
    mlflow.fail(500);
    try {
      await expect(service.listVersions(ref)).rejects.toMatchObject({
        name: 'ServiceUnavailableError',
        message: expect.stringMatching(
          /The MLflow registry "mlflow" \(127\.0\.0\.1:\d+\) failed with HTTP 500 on registered model "transaction-anomaly": INTERNAL_ERROR database is locked/,
        ),
      });
    } finally {
      mlflow.fail(undefined);
    }
  });

  it('maps a wrong token (401) to an error naming the registry', async () => {
    const wrong = RegistryService.create({
      registries: [
        { name: 'mlflow', type: 'mlflow', url: mlflow.url, token: 'nope' },
      ],
      logger: mockServices.logger.mock(),
    });
    await expect(wrong.listVersions(ref)).rejects.toMatchObject({
      name: 'ServiceUnavailableError',
      message: expect.stringMatching(
        /The MLflow registry "mlflow" \(127\.0\.0\.1:\d+\) refused the configured credentials .*\(HTTP 401\)/,
      ),
    });
  });
});
