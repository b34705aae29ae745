import http from 'node:http';
import { AddressInfo } from 'node:net';
import { MlApiClient } from './MlApiClient';

// The experiments methods on the wire: paths per kind, the query as the
// backend's schemas read it, and its refusals as ResponseErrors.
describe('MlApiClient experiments', () => {
  let server: http.Server;
  let client: MlApiClient;
  const urls: string[] = [];
  let reply: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      urls.push(req.method === 'GET' ? req.url! : `${req.method} ${req.url}`);
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(reply.body));
    });
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    client = new MlApiClient({
      discoveryApi: {
        getBaseUrl: async () => `http://127.0.0.1:${port}/api/ml`,
      },
    });
  });
  afterAll(() => new Promise(r => server.close(r)));

  it('lists the runs of a Model and of a Pipeline with the set filters only', async () => {
    reply = { status: 200, body: { configured: false, reason: 'x' } };
    await client.getExperimentRuns(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      {
        status: 'failed',
        orderBy: 'metric',
        metric: 'train/loss',
        direction: 'asc',
      },
    );
    await client.getExperimentRuns({
      kind: 'pipeline',
      namespace: 'ml',
      name: 'fraud-training',
    });
    expect(urls.splice(0)).toEqual([
      '/api/ml/models/default/fraud-detector/experiment/runs?status=failed&orderBy=metric&metric=train%2Floss&direction=asc',
      '/api/ml/pipelines/ml/fraud-training/experiment/runs',
    ]);
  });

  it('compares runs by comma-separated ids and rejects with the backend reason', async () => {
    reply = {
      status: 400,
      body: {
        error: {
          name: 'InputError',
          message:
            'Invalid query: runs: at most 5 runs can be compared at once',
        },
        response: { statusCode: 400 },
      },
    };
    await expect(
      client.compareExperimentRuns(
        { kind: 'model', namespace: 'default', name: 'fraud-detector' },
        { runs: ['a', 'b', 'c', 'd', 'e', 'f'], metrics: ['loss', 'val_auc'] },
      ),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 400,
      message: 'Invalid query: runs: at most 5 runs can be compared at once',
    });
    expect(urls.splice(0)).toEqual([
      '/api/ml/models/default/fraud-detector/experiment/compare?runs=a%2Cb%2Cc%2Cd%2Ce%2Cf&metrics=loss%2Cval_auc',
    ]);
  });

  it("reads a run's TensorBoard with the tags joined", async () => {
    reply = {
      status: 200,
      body: { configured: false, runId: 'r1', reason: 'x' },
    };
    await client.getRunTensorBoard(
      { kind: 'pipeline', namespace: 'ml', name: 'fraud-training' },
      'r1',
      { tags: ['loss', 'acc (%)'] },
    );
    await client.getRunTensorBoard(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      'r2',
    );
    expect(urls.splice(0)).toEqual([
      '/api/ml/pipelines/ml/fraud-training/experiment/runs/r1/tensorboard?tags=loss%2Cacc+%28%25%29',
      '/api/ml/models/default/fraud-detector/experiment/runs/r2/tensorboard',
    ]);
  });

  it("starts a run's TensorBoard with a POST", async () => {
    reply = { status: 201, body: { created: true } };
    await client.startRunTensorBoard(
      { kind: 'model', namespace: 'default', name: 'fraud-detector' },
      'r1',
    );
    expect(urls.splice(0)).toEqual([
      'POST /api/ml/models/default/fraud-detector/experiment/runs/r1/tensorboard',
    ]);
  });

  it("stops a run's TensorBoard with a DELETE, and rejects with the backend's reason", async () => {
    reply = { status: 204, body: '' };
    await client.stopRunTensorBoard(
      { kind: 'pipeline', namespace: 'ml', name: 'fraud-training' },
      'r1',
    );
    expect(urls.splice(0)).toEqual([
      'DELETE /api/ml/pipelines/ml/fraud-training/experiment/runs/r1/tensorboard',
    ]);
    reply = {
      status: 403,
      body: {
        error: {
          name: 'NotAllowedError',
          message: 'only its creator stops it',
        },
      },
    };
    await expect(
      client.stopRunTensorBoard(
        { kind: 'model', namespace: 'default', name: 'fraud-detector' },
        'r1',
      ),
    ).rejects.toMatchObject({ name: 'ResponseError', statusCode: 403 });
    urls.splice(0);
  });
});
