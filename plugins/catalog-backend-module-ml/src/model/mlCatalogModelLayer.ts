import {
  CatalogModelKindRootSchema,
  CatalogModelLayer,
  createCatalogModelLayer,
} from '@backstage/catalog-model/alpha';
import {
  ANNOTATION_ALERT_SELECTOR,
  ANNOTATION_METRICS_PROFILE,
  ANNOTATION_METRICS_SELECTOR,
  ANNOTATION_REGISTRY_REF,
  DATASET_KIND,
  ML_KIND_SCHEMAS,
  ML_KINDS,
  ML_REFERENCE_FIELDS,
  ML_RELATION_PAIRS,
  MlKind,
  MODEL_KIND,
  PIPELINE_KIND,
} from '@mlplatform/plugin-ml-common';

/**
 * Layer ID of the ML entity model. Stable: the catalog deduplicates layers by
 * ID, so registering this layer from several places is harmless.
 *
 * @alpha
 */
export const ML_CATALOG_MODEL_LAYER_ID = 'mlplatform.io/ml-entity-model';

// The model wants only what lies beside apiVersion/kind/metadata, which it
// generates itself; the ml-common schema's spec is reused unchanged so both
// validators agree on the shape.
function rootSchema(kind: MlKind): CatalogModelKindRootSchema {
  const schema = ML_KIND_SCHEMAS[kind] as { properties: { spec: any } };
  return {
    type: 'object',
    required: ['spec'],
    properties: { spec: schema.properties.spec },
  };
}

const ANNOTATIONS = [
  {
    name: ANNOTATION_METRICS_SELECTOR,
    title: 'Metrics selector',
    description:
      'Prometheus label matchers selecting the serving metrics of a model, e.g. namespace="fraud", model="fraud-detector".',
  },
  {
    name: ANNOTATION_METRICS_PROFILE,
    title: 'Metrics profile',
    description:
      'The metrics profile (PromQL templates of a serving runtime, e.g. openmetrics, kserve, triton) used for a model.',
  },
  {
    name: ANNOTATION_ALERT_SELECTOR,
    title: 'Alert selector',
    description:
      'Alertmanager label matchers selecting the alerts that concern an entity.',
  },
  {
    name: ANNOTATION_REGISTRY_REF,
    title: 'Registry reference',
    description:
      'Where the versions of a model live: oci://host[:port]/repository or mlflow://model-name.',
  },
];

/**
 * The ML kinds, their relations and annotations as a catalog model layer.
 *
 * @remarks
 * Declares only what the ML platform owns: the four kinds, the lineage
 * relation pairs, the ML kinds' place in Backstage's ownedBy and partOf
 * relations, and the `mlplatform.io/*` annotations. It must never import
 * Backstage's own layers or declare their kinds or annotations: the catalog
 * adds the default model itself, and a kind or annotation declared by two
 * layers fails the whole catalog with "declared more than once".
 *
 * @alpha
 */
export const mlCatalogModelLayer: CatalogModelLayer = createCatalogModelLayer({
  layerId: ML_CATALOG_MODEL_LAYER_ID,
  builder: model => {
    for (const kind of ML_KINDS) {
      const lower = kind.toLocaleLowerCase('en-US');
      model.addKind({
        group: 'mlplatform.io',
        names: { kind, singular: lower, plural: `${lower}s` },
        description: String(ML_KIND_SCHEMAS[kind].description),
        versions: [
          {
            name: 'v1alpha1',
            relationFields: ML_REFERENCE_FIELDS[kind].map(field => ({
              selector: { path: `spec.${field.field}` },
              relation: field.relation,
              defaultKind: field.defaultKind,
              defaultNamespace: 'inherit' as const,
              allowedKinds: field.allowedKinds,
            })),
            schema: { jsonSchema: rootSchema(kind) },
          },
        ],
      });
    }
    for (const pair of ML_RELATION_PAIRS) {
      model.addRelationPair(pair);
    }
    // Backstage's own pairs, extended to the ML kinds.
    model.addRelationPair({
      fromKind: [...ML_KINDS],
      toKind: ['Group', 'User'],
      description:
        'An ownership relation where the owner is usually an organizational entity (user or group), and the other entity can be anything.',
      forward: { type: 'ownedBy', title: 'owned by' },
      reverse: { type: 'ownerOf', title: 'owner of' },
    });
    // GpuQuota has no system: a budget is shared by all of a team's systems.
    model.addRelationPair({
      fromKind: [MODEL_KIND, DATASET_KIND, PIPELINE_KIND],
      toKind: ['System'],
      description: 'An ML entity belongs to a system.',
      forward: { type: 'partOf', title: 'part of' },
      reverse: { type: 'hasPart', title: 'has part' },
    });
    for (const annotation of ANNOTATIONS) {
      model.addAnnotation(annotation);
    }
  },
});
