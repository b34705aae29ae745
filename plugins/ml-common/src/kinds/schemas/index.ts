import type { JsonObject } from '@backstage/types';
import { MlKind } from '../constants';
import datasetSchema from './Dataset.v1alpha1.schema.json';
import gpuQuotaSchema from './GpuQuota.v1alpha1.schema.json';
import modelSchema from './Model.v1alpha1.schema.json';
import pipelineSchema from './Pipeline.v1alpha1.schema.json';

/**
 * The draft-07 JSON schema of each ML kind (`apiVersion`
 * `mlplatform.io/v1alpha1`), for editors (yaml-language-server), the catalog
 * model and custom tooling. Pattern fields carry ajv-errors `errorMessage`s.
 *
 * @public
 */
export const ML_KIND_SCHEMAS: Readonly<Record<MlKind, JsonObject>> = {
  Model: modelSchema as JsonObject,
  Dataset: datasetSchema as JsonObject,
  Pipeline: pipelineSchema as JsonObject,
  GpuQuota: gpuQuotaSchema as JsonObject,
};
