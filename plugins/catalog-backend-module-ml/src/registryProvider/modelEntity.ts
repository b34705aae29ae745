import {
  ML_API_VERSION,
  MODEL_ANNOTATIONS,
  MODEL_KIND,
  ModelEntityV1alpha1,
} from '@mlplatform/plugin-ml-common';
import { OciModelRepositorySummary } from '@mlplatform/plugin-ml-oci';
import {
  ENTITY_REF,
  ENTITY_TYPE,
  entityNameFor,
  entityRefs,
  ownerOf,
  registryAnnotations,
} from './registryEntity';

export {
  ANNOTATION_REGISTRY_ALIASES,
  ANNOTATION_REGISTRY_VERSIONS,
  entityNameFor,
} from './registryEntity';

const METRIC_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@/-]{0,62}$/;
// Read once, not per entity (ml-common's exports can be getters; see
// registryEntity.ts).
const {
  owner: OWNER,
  modelType: MODEL_TYPE,
  pipeline: PIPELINE,
  trainedOn: TRAINED_ON,
} = MODEL_ANNOTATIONS;
const API_VERSION = ML_API_VERSION;
const KIND = MODEL_KIND;

/**
 * The annotations {@link toModelEntity} takes from the newest version when
 * the current one lacks them; the provider reads the newest version only
 * then.
 */
export const MODEL_NEWEST_FALLBACK: readonly string[] = [
  OWNER,
  MODEL_TYPE,
  PIPELINE,
];

/** How registry repositories become Model entities. */
export interface ModelEntityDefaults {
  /** Entity namespace of provided Models; default `default`. */
  namespace: string;
  /** Owner when no version carries `mlplatform.io/owner`. */
  defaultOwner?: string;
  /** `spec.type` when no version carries `mlplatform.io/model-type`. */
  defaultType: string;
}

/**
 * Builds the Model entity of one repository from its summary. The current
 * version is the one `production` points at, else the newest; its
 * annotations (then the newest version's) give owner, lineage, framework and
 * metrics. Returns the reason instead when the repository cannot become an
 * entity.
 */
export function toModelEntity(options: {
  registryName: string;
  host: string;
  repository: string;
  prefix: string;
  summary: OciModelRepositorySummary;
  defaults: ModelEntityDefaults;
}): ModelEntityV1alpha1 | { skipped: string } {
  const { registryName, host, repository, prefix, summary, defaults } = options;
  const name = entityNameFor(repository, prefix);
  if (!name) {
    return { skipped: `"${repository}" does not map to a valid entity name` };
  }
  const { current, newest } = summary;
  if (!current) return { skipped: 'it holds no model versions' };
  const own = current.annotations;
  const fallback = newest?.annotations;

  const ownership = ownerOf(
    own[OWNER] ?? fallback?.[OWNER],
    OWNER,
    defaults.defaultOwner,
  );
  if ('skipped' in ownership) return ownership;
  const type = own[MODEL_TYPE] ?? fallback?.[MODEL_TYPE];
  const pipeline = own[PIPELINE] ?? fallback?.[PIPELINE];
  const trainedOn = entityRefs(own[TRAINED_ON]);
  const metrics = validMetrics(current.metrics);
  const versionCount = Math.max(summary.versionNames.length, 1);
  const registryRef = `oci://${host}/${repository}`;

  // Optional fields are assigned, not spread in: this runs once per
  // repository on every ingest, 100,000 times at a large company.
  const spec: ModelEntityV1alpha1['spec'] = {
    type: type && ENTITY_TYPE.test(type) ? type : defaults.defaultType,
    lifecycle: 'production' in summary.aliases ? 'production' : 'experimental',
    owner: ownership.owner,
    registry: registryRef,
  };
  if (current.framework) spec.framework = current.framework;
  if (trainedOn.length) spec.trainedOn = trainedOn;
  if (pipeline && ENTITY_REF.test(pipeline)) spec.producedBy = pipeline;
  if (metrics) spec.metrics = metrics;
  return {
    apiVersion: API_VERSION,
    kind: KIND,
    metadata: {
      name,
      namespace: defaults.namespace,
      description: `Model versions in registry "${registryName}": ${versionCount}, current ${current.version}`,
      annotations: registryAnnotations(registryRef, summary, current.version),
    },
    spec,
  };
}

/** The metrics whose names the Model schema accepts; undefined when none. */
function validMetrics(
  all: Record<string, number>,
): Record<string, number> | undefined {
  let count = 0;
  let valid = 0;
  for (const key in all) {
    if (Object.hasOwn(all, key)) {
      count++;
      if (METRIC_NAME.test(key)) valid++;
    }
  }
  if (valid === 0) return undefined;
  // Usually every name is valid: a copy in one step, not key by key.
  if (valid === count) return { ...all };
  const metrics: Record<string, number> = {};
  for (const key in all) {
    if (Object.hasOwn(all, key) && METRIC_NAME.test(key)) {
      metrics[key] = all[key];
    }
  }
  return metrics;
}
