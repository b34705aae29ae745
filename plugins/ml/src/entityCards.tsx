import { Entity } from '@backstage/catalog-model';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  isDatasetEntity,
  isGpuQuotaEntity,
  isModelEntity,
  isModelLike,
  isPipelineEntity,
} from '@mlplatform/plugin-ml-common';

const isModelWithPipeline = (entity: Entity) =>
  isModelEntity(entity) && Boolean(entity.spec.producedBy);

const hasLineage = (entity: Entity) =>
  isModelLike(entity) || isDatasetEntity(entity) || isPipelineEntity(entity);

/**
 * The code of every card a Model page shows, asked at once by whichever of
 * them loads first. The entity page calls its cards' loaders in rounds (on
 * the production build: the overview and lineage first, then health,
 * versions and serving, then runs and logs), and each round's chunks were
 * fetched only when it came, ~450 ms of chunk waterfall before the first ML
 * request. Webpack keeps each import's promise, so every card's own import
 * below then resolves at once. Only loaders of Model(-like) cards ask it.
 */
const modelPageCode = async () => {
  const [cards, health, versions, serving, pipelines] = await Promise.all([
    import('./components/EntityCards'),
    import('./components/Health'),
    import('./components/Versions'),
    import('./components/Serving'),
    import('./components/pipelines'),
    import('./components/experiments'),
    import('./components/Logs'),
  ]);
  return { cards, health, versions, serving, pipelines };
};

/**
 * Overview card on Model pages and Red Hat Developer Hub model-like entities.
 *
 * @public
 */
export const modelOverviewEntityCard = EntityCardBlueprint.make({
  name: 'model-overview',
  params: {
    type: 'info',
    filter: isModelLike,
    loader: () =>
      modelPageCode().then(({ cards }) => <cards.ModelOverviewCard />),
  },
});

/**
 * Overview card on Dataset pages.
 *
 * @public
 */
export const datasetOverviewEntityCard = EntityCardBlueprint.make({
  name: 'dataset-overview',
  params: {
    type: 'info',
    filter: isDatasetEntity,
    loader: () =>
      import('./components/EntityCards').then(m => <m.DatasetOverviewCard />),
  },
});

/**
 * Live facts of a Dataset from where it lives (S3 prefix, PVC, Feast
 * materialization) and its freshness verdict (`entity-card:ml/dataset-facts`).
 *
 * @public
 */
export const datasetFactsEntityCard = EntityCardBlueprint.make({
  name: 'dataset-facts',
  params: {
    filter: isDatasetEntity,
    loader: () =>
      import('./components/EntityCards').then(m => <m.DatasetFactsCard />),
  },
});

/**
 * Overview card on Pipeline pages.
 *
 * @public
 */
export const pipelineOverviewEntityCard = EntityCardBlueprint.make({
  name: 'pipeline-overview',
  params: {
    type: 'info',
    filter: isPipelineEntity,
    loader: () =>
      import('./components/EntityCards').then(m => <m.PipelineOverviewCard />),
  },
});

/**
 * Overview card on GpuQuota pages.
 *
 * @public
 */
export const gpuQuotaOverviewEntityCard = EntityCardBlueprint.make({
  name: 'gpu-quota-overview',
  params: {
    type: 'info',
    filter: isGpuQuotaEntity,
    loader: () =>
      import('./components/EntityCards').then(m => <m.GpuQuotaOverviewCard />),
  },
});

/**
 * Live GPU usage of a GpuQuota's namespace, compared with its declared
 * limits (`entity-card:ml/gpu-quota-usage`).
 *
 * @public
 */
export const gpuQuotaUsageEntityCard = EntityCardBlueprint.make({
  name: 'gpu-quota-usage',
  params: {
    filter: isGpuQuotaEntity,
    loader: () =>
      import('./components/EntityCards').then(m => <m.GpuQuotaUsageCard />),
  },
});

/**
 * Lineage card on Model, Dataset and Pipeline pages.
 *
 * @public
 */
export const lineageEntityCard = EntityCardBlueprint.make({
  name: 'lineage',
  params: {
    filter: hasLineage,
    loader: () =>
      import('./components/EntityCards').then(m => <m.LineageCard />),
  },
});

/**
 * Model card (intended use, limitations, license, metrics) on Model pages.
 *
 * @public
 */
export const modelCardEntityCard = EntityCardBlueprint.make({
  name: 'model-card',
  params: {
    filter: isModelLike,
    loader: () =>
      modelPageCode().then(({ cards }) => <cards.ModelCardSection />),
  },
});

/**
 * Health of a Model against its SLO, with charts from Prometheus
 * (`entity-card:ml/model-health`).
 *
 * @public
 */
export const modelHealthEntityCard = EntityCardBlueprint.make({
  name: 'model-health',
  params: {
    filter: isModelEntity,
    loader: () =>
      modelPageCode().then(({ health }) => <health.ModelHealthCard />),
  },
});

/**
 * Alerts firing for a Model in Alertmanager (`entity-card:ml/model-alerts`).
 *
 * @public
 */
export const modelAlertsEntityCard = EntityCardBlueprint.make({
  name: 'model-alerts',
  params: {
    filter: isModelEntity,
    loader: () =>
      modelPageCode().then(({ health }) => <health.ModelAlertsCard />),
  },
});

/**
 * Versions of a Model in its registry, with promotion of aliases
 * (`entity-card:ml/model-versions`).
 *
 * @public
 */
export const modelVersionsEntityCard = EntityCardBlueprint.make({
  name: 'model-versions',
  params: {
    filter: isModelEntity,
    loader: () =>
      modelPageCode().then(({ versions }) => <versions.ModelVersionsCard />),
  },
});

/**
 * Where a Model serves across the clusters (KServe InferenceServices and
 * Deployments labelled for it), with the canary rollout
 * (`entity-card:ml/model-serving`).
 *
 * @public
 */
export const modelServingEntityCard = EntityCardBlueprint.make({
  name: 'model-serving',
  params: {
    filter: isModelEntity,
    loader: () =>
      modelPageCode().then(({ serving }) => <serving.ModelServingCard />),
  },
});

/**
 * Recent runs of a Pipeline from its orchestrator, with a duration chart and
 * "Start run" (`entity-card:ml/pipeline-runs`).
 *
 * @public
 */
export const pipelineRunsEntityCard = EntityCardBlueprint.make({
  name: 'pipeline-runs',
  params: {
    filter: isPipelineEntity,
    loader: () =>
      import('./components/pipelines').then(m => <m.PipelineRunsCard />),
  },
});

/**
 * The latest run of the Pipeline that produces a Model, on Models with
 * `spec.producedBy` (`entity-card:ml/model-latest-run`).
 *
 * @public
 */
export const modelLatestRunEntityCard = EntityCardBlueprint.make({
  name: 'model-latest-run',
  params: {
    filter: isModelWithPipeline,
    loader: () =>
      modelPageCode().then(({ pipelines }) => (
        <pipelines.LatestTrainingRunCard />
      )),
  },
});

const isModelOrPipeline = (entity: Entity) =>
  isModelEntity(entity) || isPipelineEntity(entity);

/**
 * Runs of the MLflow experiment a Model or a Pipeline names
 * (`mlplatform.io/mlflow-experiment`), with filter, sort and "Compare runs"
 * (`entity-card:ml/experiment-runs`).
 *
 * @public
 */
export const experimentRunsEntityCard = EntityCardBlueprint.make({
  name: 'experiment-runs',
  params: {
    filter: isModelOrPipeline,
    loader: () =>
      import('./components/experiments').then(m => <m.ExperimentRunsCard />),
  },
});

/**
 * Logs of a Model's serving pods or a Pipeline's run pods, with the
 * entity's lines in the central log store (`entity-card:ml/logs`).
 *
 * @public
 */
export const logsEntityCard = EntityCardBlueprint.make({
  name: 'logs',
  params: {
    filter: isModelOrPipeline,
    loader: () => import('./components/Logs').then(m => <m.EntityLogsCard />),
  },
});

/** Every entity card of the ML plugin, in the order they appear. */
export const mlEntityCards = [
  modelOverviewEntityCard,
  datasetOverviewEntityCard,
  datasetFactsEntityCard,
  pipelineOverviewEntityCard,
  pipelineRunsEntityCard,
  gpuQuotaOverviewEntityCard,
  gpuQuotaUsageEntityCard,
  modelHealthEntityCard,
  modelAlertsEntityCard,
  modelServingEntityCard,
  modelLatestRunEntityCard,
  modelVersionsEntityCard,
  experimentRunsEntityCard,
  logsEntityCard,
  modelCardEntityCard,
  lineageEntityCard,
];
