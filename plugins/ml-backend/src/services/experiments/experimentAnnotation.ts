import { Entity } from '@backstage/catalog-model';
import { ANNOTATION_MLFLOW_EXPERIMENT } from '@mlplatform/plugin-ml-common';

/** Where an entity's experiment is, or why it has none. @internal */
export type ExperimentLocation =
  | { registry: string; experiment: string }
  | { reason: string };

/**
 * Reads the `mlplatform.io/mlflow-experiment` annotation against the
 * MLflow entries of `ml.registries`. `<registry>/<experiment>` picks an
 * entry when the part before the first `/` is one's name; otherwise the
 * whole value is an experiment name (MLflow allows `/` in them) on the one
 * MLflow entry, and with several entries the prefix is required.
 *
 * @param mlflowRegistries - names of the `ml.registries` entries of type mlflow.
 * @internal
 */
export function locateExperiment(
  entity: Entity,
  entityRef: string,
  mlflowRegistries: string[],
): ExperimentLocation {
  const value =
    entity.metadata.annotations?.[ANNOTATION_MLFLOW_EXPERIMENT]?.trim();
  if (!value) {
    return {
      reason: `${entityRef} names no MLflow experiment: add the annotation ${ANNOTATION_MLFLOW_EXPERIMENT}: <experiment name> to its catalog-info.yaml`,
    };
  }
  if (mlflowRegistries.length === 0) {
    return {
      reason: `No MLflow is configured: add an entry with type: mlflow under ml.registries in app-config.yaml to read experiment "${value}"`,
    };
  }
  const slash = value.indexOf('/');
  if (slash > 0 && mlflowRegistries.includes(value.slice(0, slash))) {
    const experiment = value.slice(slash + 1);
    if (experiment) return { registry: value.slice(0, slash), experiment };
  }
  if (mlflowRegistries.length === 1) {
    return { registry: mlflowRegistries[0], experiment: value };
  }
  return {
    reason: `${ANNOTATION_MLFLOW_EXPERIMENT} "${value}" of ${entityRef} does not say which MLflow to read: write <registry>/<experiment> with one of ${mlflowRegistries.join(
      ', ',
    )} (the mlflow entries of ml.registries)`,
  };
}
