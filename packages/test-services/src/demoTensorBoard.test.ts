import { describeIfBinary } from './binaries';
import { seedDemoExperiments } from './demoExperiments';
import {
  DEMO_TENSORBOARD_EXPERIMENT,
  seedDemoTensorBoard,
} from './demoTensorBoard';
import { MlflowHandle, mlflowBinary, startMlflow } from './mlflow';
import { makeTempDir, removeTempDir } from './process';
import { startTensorBoard, tensorboardBinary } from './tensorboard';

jest.setTimeout(60_000);

describeIfBinary([mlflowBinary, tensorboardBinary])(
  'seedDemoTensorBoard (real MLflow, real TensorBoard)',
  () => {
    let mlflow: MlflowHandle;
    let logRoot: string;
    beforeAll(async () => {
      mlflow = await startMlflow();
      logRoot = makeTempDir('demo-tensorboard');
    }, 150_000);
    afterAll(async () => {
      await mlflow?.stop();
      if (logRoot) await removeTempDir(logRoot);
    });

    it("tags the intent-classifier's runs with event files TensorBoard shows", async () => {
      await seedDemoExperiments(mlflow);
      const dirs = await seedDemoTensorBoard(mlflow, logRoot);
      expect(Object.keys(dirs)).toEqual([
        'xlmr-len128',
        'xlmr-len256',
        'xlmr-len512',
      ]);
      const { experiment } = await mlflow.get('experiments/get-by-name', {
        experiment_name: DEMO_TENSORBOARD_EXPERIMENT,
      });
      const { runs } = await mlflow.post('runs/search', {
        experiment_ids: [experiment.experiment_id],
      });
      const tagged = runs.map((r: any) => [
        r.info.run_name,
        r.data.tags.find(
          (t: any) => t.key === 'mlplatform.io/tensorboard-logdir',
        )?.value,
      ]);
      expect(Object.fromEntries(tagged)).toEqual(dirs);

      const tensorboard = await startTensorBoard({ logdir: logRoot });
      try {
        const run = `${DEMO_TENSORBOARD_EXPERIMENT}/xlmr-len512`;
        await tensorboard.waitForRun(run);
        const res = await fetch(
          `${
            tensorboard.url
          }/data/plugin/scalars/scalars?run=${encodeURIComponent(
            run,
          )}&tag=val_loss`,
        );
        const points = (await res.json()) as number[][];
        expect(points).toHaveLength(10);
        expect(points[9][2]).toBeLessThan(points[0][2]);
      } finally {
        await tensorboard.stop();
      }
    });
  },
);
