import { Entity } from '@backstage/catalog-model';
import { EntityCardBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  isDatasetEntity,
  isGpuQuotaEntity,
  isModelLike,
  isPipelineEntity,
} from '@mlplatform/plugin-ml-common';

const hasLineage = (entity: Entity) =>
  isModelLike(entity) || isDatasetEntity(entity) || isPipelineEntity(entity);

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
      import('./components/EntityCards').then(m => <m.ModelOverviewCard />),
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
      import('./components/EntityCards').then(m => <m.ModelCardSection />),
  },
});

/** Every entity card of the ML plugin, in the order they appear. */
export const mlEntityCards = [
  modelOverviewEntityCard,
  datasetOverviewEntityCard,
  pipelineOverviewEntityCard,
  gpuQuotaOverviewEntityCard,
  modelCardEntityCard,
  lineageEntityCard,
];
