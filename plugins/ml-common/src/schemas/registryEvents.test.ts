import { parseMlInput } from './parse';
import { mlflowWebhookPayloadSchema } from './registryEvents';

describe('mlflowWebhookPayloadSchema', () => {
  it("takes MLflow's model_version.created delivery, extra fields included", () => {
    const payload = parseMlInput(
      mlflowWebhookPayloadSchema,
      {
        entity: 'model_version',
        action: 'created',
        timestamp: '2026-12-04T18:00:00.000000+00:00',
        workspace: 'default',
        data: {
          name: 'fraud-detector',
          version: '3',
          source: 'models:/m-1',
          run_id: null,
          tags: {},
          description: null,
        },
      },
      'payload',
    );
    expect(payload.data).toMatchObject({
      name: 'fraud-detector',
      version: '3',
    });
  });

  it.each([
    [
      'a model name that is a path',
      { name: '../etc/passwd' },
      'data.name: must be an MLflow registered model name',
    ],
    [
      'a version that is not a number',
      { name: 'm', version: '1;x' },
      'data.version',
    ],
  ])('refuses %s', (_, data, message) => {
    expect(() =>
      parseMlInput(
        mlflowWebhookPayloadSchema,
        { entity: 'model_version', action: 'created', timestamp: '', data },
        'payload',
      ),
    ).toThrow(message);
  });
});
