import { demoExperiments, seedDemoExperiments } from './demoExperiments';
import { describeIfBinary } from './binaries';
import { MlflowHandle, mlflowBinary, startMlflow } from './mlflow';

jest.setTimeout(60_000);

describe('demoExperiments', () => {
  it('is the same on every start, with a search worth comparing for support-assistant-llm', () => {
    const now = Date.UTC(2026, 11, 1);
    expect(demoExperiments(now)).toEqual(demoExperiments(now));
    const [llm] = demoExperiments(now);
    expect(llm.name).toBe('nlp/support-llm-finetuning');
    expect(llm.runs.map(r => r.status ?? 'FINISHED')).toEqual([
      'FINISHED',
      'FINISHED',
      'FINISHED',
      'FAILED',
      'RUNNING',
    ]);
    const best = llm.runs[2].metrics!.train_loss;
    expect(best).toHaveLength(300);
    expect(best[299]).toBeLessThan(best[0]);
  });
});

describeIfBinary(mlflowBinary)('seedDemoExperiments (real MLflow)', () => {
  let mlflow: MlflowHandle;
  beforeAll(async () => {
    mlflow = await startMlflow();
  }, 150_000);
  afterAll(() => mlflow?.stop());

  it('fills the experiments with runs and full metric histories', async () => {
    const [llm] = await seedDemoExperiments(mlflow);
    const { runs } = await mlflow.post('runs/search', {
      experiment_ids: [llm.experimentId],
    });
    expect(runs).toHaveLength(5);
    const history = await mlflow.get('metrics/get-history', {
      run_id: llm.runIds['lora-lr1e-5-r32'],
      metric_key: 'train_loss',
    });
    expect(history.metrics).toHaveLength(300);
  });
});
