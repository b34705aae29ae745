import path from 'node:path';
import { demoExperiments } from './demoExperiments';
import { mlflowRestClient, MlflowRestClient } from './mlflowClient';
import { writeTensorBoardEvents } from './tensorboard';

/** The MLflow run tag the portal reads a run's event-file directory from. */
const LOGDIR_TAG = 'mlplatform.io/tensorboard-logdir';

/** The demo experiment whose runs get TensorBoard event files. */
export const DEMO_TENSORBOARD_EXPERIMENT = 'nlp/intent-classifier-training';

/**
 * Writes TensorBoard event files for the runs of the intent-classifier's
 * experiment (the same curves as their MLflow metrics, written by the ML
 * project template's writer) under `logRoot/<experiment>/<run>`, and tags
 * each MLflow run with its directory, as the template's training does. Run
 * after {@link seedDemoExperiments}. Returns the directories by run name.
 *
 * @public
 */
export async function seedDemoTensorBoard(
  client: MlflowRestClient,
  logRoot: string,
): Promise<Record<string, string>> {
  const experiment = demoExperiments().find(
    e => e.name === DEMO_TENSORBOARD_EXPERIMENT,
  )!;
  const { experiment: found } = await client.get('experiments/get-by-name', {
    experiment_name: experiment.name,
  });
  const { runs = [] } = await client.post('runs/search', {
    experiment_ids: [found.experiment_id],
    max_results: 100,
  });
  const dirs: Record<string, string> = {};
  for (const seeded of experiment.runs) {
    const run = runs.find((r: any) => r.info.run_name === seeded.name);
    if (!run) throw new Error(`No run ${seeded.name} in ${experiment.name}`);
    const dir = path.join(logRoot, experiment.name, seeded.name);
    writeTensorBoardEvents(dir, seeded.metrics ?? {});
    await client.post('runs/set-tag', {
      run_id: run.info.run_id,
      key: LOGDIR_TAG,
      value: dir,
    });
    dirs[seeded.name] = dir;
  }
  return dirs;
}

// `demoTensorBoard.ts seed <mlflow url> <log root>`, as scripts/demo-stack.sh runs it.
if (require.main === module) {
  const [command, url, logRoot] = process.argv.slice(2);
  const run =
    command === 'seed' && url && logRoot
      ? seedDemoTensorBoard(mlflowRestClient(url), path.resolve(logRoot))
      : Promise.reject(
          new Error('usage: demoTensorBoard.ts seed <mlflow url> <log root>'),
        );
  run.then(
    dirs =>
      process.stdout.write(
        `wrote TensorBoard event files for ${Object.keys(dirs).length} runs\n`,
      ),
    error => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}
