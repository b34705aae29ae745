import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validator } from 'jsonschema';
import { parse, parseAllDocuments } from 'yaml';
import { createWriteEntitiesAction } from './writeEntities';
import { examples } from './writeEntities.examples';

function workspace() {
  return mkdtempSync(join(tmpdir(), 'ml-write-entities-'));
}

describe('ml:catalog:write-entities', () => {
  const action = createWriteEntitiesAction();

  it('writes a Model, its Dataset and its Pipeline wired into lineage', async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: {
        name: 'churn-predictor',
        owner: 'group:default/recsys-team',
        modelType: 'classifier',
        framework: 'pytorch-lightning',
        datasetLocation: 's3://ml-data/churn',
        registry: 'oci://127.0.0.1:5000/models/churn-predictor',
        schedule: '0 3 * * 1',
        filePath: 'catalog-info.yaml',
      } as any,
    });

    await action.handler(ctx);

    const docs = parseAllDocuments(
      readFileSync(join(workspacePath, 'catalog-info.yaml'), 'utf8'),
    ).map(d => d.toJS());
    const [model, dataset, pipeline] = docs;
    expect(
      docs.map(d => `${d.apiVersion} ${d.kind}/${d.metadata.name}`),
    ).toEqual([
      'mlplatform.io/v1alpha1 Model/churn-predictor',
      'mlplatform.io/v1alpha1 Dataset/churn-predictor-training-data',
      'mlplatform.io/v1alpha1 Pipeline/churn-predictor-training',
    ]);
    expect(model.spec).toMatchObject({
      owner: 'group:default/recsys-team',
      registry: 'oci://127.0.0.1:5000/models/churn-predictor',
      trainedOn: ['dataset:churn-predictor-training-data'],
      producedBy: 'pipeline:churn-predictor-training',
    });
    expect(dataset.spec.location).toBe('s3://ml-data/churn');
    expect(pipeline.spec).toMatchObject({
      schedule: '0 3 * * 1',
      consumes: ['dataset:churn-predictor-training-data'],
      produces: ['model:churn-predictor'],
    });
    expect(ctx.output).toHaveBeenCalledWith('entityRefs', [
      'model:default/churn-predictor',
      'dataset:default/churn-predictor-training-data',
      'pipeline:default/churn-predictor-training',
    ]);
  });

  it('names the MLflow experiment on the Model and the Pipeline when asked, and nothing for an empty one', async () => {
    const write = async (mlflowExperiment: string) => {
      const workspacePath = workspace();
      await action.handler(
        createMockActionContext({
          workspacePath,
          input: {
            name: 'churn-predictor',
            owner: 'group:default/recsys-team',
            datasetLocation: 's3://ml-data/churn',
            registry: 'mlflow://churn-predictor',
            mlflowExperiment,
          } as any,
        }),
      );
      return parseAllDocuments(
        readFileSync(join(workspacePath, 'catalog-info.yaml'), 'utf8'),
      ).map(d => d.toJS());
    };
    const [model, dataset, pipeline] = await write('churn-predictor');
    expect(model.spec.registry).toBe('mlflow://churn-predictor');
    for (const entity of [model, pipeline]) {
      expect(entity.metadata.annotations).toMatchObject({
        'mlplatform.io/mlflow-experiment': 'churn-predictor',
      });
    }
    expect(dataset.metadata.annotations).toBeUndefined();
    const [plain] = await write('');
    expect(plain.metadata.annotations).toEqual({
      'backstage.io/kubernetes-id': 'churn-predictor',
    });
  });

  it('refuses to write outside the workspace', async () => {
    const workspacePath = workspace();
    const ctx = createMockActionContext({
      workspacePath,
      input: {
        name: 'm',
        owner: 'group:default/a',
        datasetLocation: 's3://b/c',
        filePath: '../escape.yaml',
      } as any,
    });
    await expect(action.handler(ctx)).rejects.toThrow(/outside/i);
    expect(existsSync(join(workspacePath, '..', 'escape.yaml'))).toBe(false);
  });

  it.each(examples.map(e => [e.description, e.example]))(
    'runs the documented example: %s',
    async (_description, example) => {
      const workspacePath = workspace();
      const step = parse(example).steps[0];
      await action.handler(
        createMockActionContext({ workspacePath, input: step.input }),
      );
      const text = readFileSync(
        join(workspacePath, 'catalog-info.yaml'),
        'utf8',
      );
      expect(text).toContain(`name: ${step.input.name}`);
    },
  );

  it.each([
    [{ name: 'Bad_Name' }, 'instance.name does not match pattern'],
    [
      { datasetLocation: 'http://example.com/data' },
      'instance.datasetLocation does not match pattern',
    ],
    [{ registry: 'docker://x/y' }, 'instance.registry does not match pattern'],
    [{ schedule: 'every day' }, 'instance.schedule does not match pattern'],
    [{ owner: undefined }, 'requires property "owner"'],
  ])(
    'rejects bad input %j as the scaffolder validates it',
    (override, message) => {
      // The scaffolder checks input against the action's JSON schema (converted
      // from zod) with jsonschema before the handler runs.
      const input = {
        name: 'ok-name',
        owner: 'group:default/a',
        datasetLocation: 's3://b/c',
        ...override,
      };
      const result = new Validator().validate(
        input,
        action.schema!.input as any,
      );
      expect(result.errors.map(e => e.stack)).toContainEqual(
        expect.stringContaining(message),
      );
    },
  );

  it('accepts the input of a real template', () => {
    const result = new Validator().validate(
      {
        name: 'ok-name',
        owner: 'group:default/a',
        datasetLocation: 's3://b/c',
        schedule: '0 3 * * *',
      },
      action.schema!.input as any,
    );
    expect(result.errors).toEqual([]);
  });
});
