import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  DATASET_KIND,
  DatasetClassification,
  DatasetEntityV1alpha1,
  ENTITY_NAME_PATTERN,
  ML_API_VERSION,
} from '@mlplatform/plugin-ml-common';
import { ENTITY_REF, ENTITY_TYPE } from '../registryProvider/registryEntity';
import {
  FeastDataSource,
  FeastField,
  FeastProjectSnapshot,
} from './FeastRegistryClient';

/*
 * How Feast objects become Dataset entities (docs/datasets.md, "Feast"):
 * feature services and feature views as `type: features`, data sources as
 * `type: table` unless a `dataset` tag names the catalog Dataset they are.
 * Names: `_` becomes `-` (card_velocity -> card-velocity); a name that is not
 * then a valid entity name is skipped with the reason.
 */

/** The Feast project of a provided Dataset. */
export const ANNOTATION_FEAST_PROJECT = 'mlplatform.io/feast-project';
/** `feature-view`, `on-demand-feature-view`, `stream-feature-view`, `feature-service` or `data-source`. */
export const ANNOTATION_FEAST_OBJECT = 'mlplatform.io/feast-object';
/** The object's name in Feast (entity names replace `_` with `-`). */
export const ANNOTATION_FEAST_NAME = 'mlplatform.io/feast-name';
/** The registry REST server the object was read from. */
export const ANNOTATION_FEAST_REGISTRY = 'mlplatform.io/feast-registry';
/** The Feast entities (join keys' owners) of a view or service, comma-separated. */
export const ANNOTATION_FEAST_ENTITIES = 'mlplatform.io/feast-entities';
/** A feature view's TTL as Feast states it (`86400s`). */
export const ANNOTATION_FEAST_TTL = 'mlplatform.io/feast-ttl';
/** The object's Feast tags, as a JSON object. */
export const ANNOTATION_FEAST_TAGS = 'mlplatform.io/feast-tags';

/** Tags read as catalog facts rather than kept only as tags. */
const TAG = {
  owner: 'owner',
  system: 'system',
  lifecycle: 'lifecycle',
  classification: 'classification',
  producedBy: 'producedBy',
  title: 'title',
  /** The freshness objective's maxAge (`24h`): spec.freshness. */
  freshness: 'freshness',
  /** On a data source: the catalog Dataset it is (then none is emitted). */
  dataset: 'dataset',
};

const VIEW_KINDS: Record<string, string> = {
  onDemandFeatureView: 'on-demand-feature-view',
  streamFeatureView: 'stream-feature-view',
};
const LOCATION_URI = /^[a-z][a-z0-9+.-]*:\/\/\S+$/;
const LABEL_KEY = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const LABEL_VALUE = /^[a-zA-Z0-9]([-_.a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$/;
const CLASSIFICATIONS = new Set([
  'public',
  'internal',
  'confidential',
  'restricted',
]);
const SCALAR_TYPES: Record<string, string> = {
  BYTES: 'Bytes',
  STRING: 'String',
  INT32: 'Int32',
  INT64: 'Int64',
  DOUBLE: 'Float64',
  FLOAT: 'Float32',
  BOOL: 'Bool',
  UNIX_TIMESTAMP: 'UnixTimestamp',
  PDF_BYTES: 'PdfBytes',
  IMAGE_BYTES: 'ImageBytes',
  MAP: 'Map',
  JSON: 'Json',
  STRUCT: 'Struct',
  DECIMAL: 'Decimal',
};

/** How Feast objects become entities. */
export interface FeastEntityDefaults {
  /** Entity namespace of provided Datasets. */
  namespace: string;
  /** Owner when an object has no `owner` tag and no Feast owner that is an entity ref. */
  defaultOwner?: string;
  /** The registry's name in config, for location keys and messages. */
  registryName: string;
  /** The registry REST server's `/api/v1` root. */
  apiRoot: string;
}

/** One Feast object that did not become an entity, and why. */
export interface FeastSkip {
  /** e.g. `feature view fraud/_staging_view`. */
  object: string;
  reason: string;
}

/**
 * Feast's type name of a ValueType (`DOUBLE` -> `Float64`, `STRING_LIST` ->
 * `Array(String)`), as in a feature repository's `Field(dtype=…)`.
 */
export function feastTypeName(valueType: string | undefined): string {
  if (!valueType || valueType === 'INVALID') return 'Unknown';
  const list = /^(.+)_LIST$/.exec(valueType);
  if (list) return `Array(${feastTypeName(list[1])})`;
  const set = /^(.+)_SET$/.exec(valueType);
  if (set) return `Set(${feastTypeName(set[1])})`;
  return SCALAR_TYPES[valueType] ?? valueType;
}

/** The entity name of a Feast name, or undefined when there is none. */
export function feastEntityName(name: string): string | undefined {
  const mapped = name.replace(/_/g, '-');
  return mapped.length <= 63 && ENTITY_NAME_PATTERN.test(mapped)
    ? mapped
    : undefined;
}

function field(f: FeastField, description?: string) {
  const text = f.description || description;
  return {
    name: f.name,
    type: feastTypeName(f.valueType),
    ...(text ? { description: text } : {}),
  };
}

function owner(
  tags: Record<string, string>,
  feastOwner: string | undefined,
  defaultOwner: string | undefined,
): { owner: string } | { skipped: string } {
  const tagged = tags[TAG.owner];
  if (tagged !== undefined) {
    return ENTITY_REF.test(tagged)
      ? { owner: tagged }
      : { skipped: `its owner tag "${tagged}" is not an entity ref` };
  }
  // Feast's own owner field is often an e-mail address: used only when it
  // names a catalog entity.
  if (feastOwner && ENTITY_REF.test(feastOwner)) return { owner: feastOwner };
  if (defaultOwner) return { owner: defaultOwner };
  return {
    skipped:
      'it has no owner tag, no Feast owner that is an entity ref, and no defaultOwner is configured',
  };
}

/** Backstage labels for the tags that are valid labels. */
function labels(tags: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags)) {
    if (LABEL_KEY.test(k) && LABEL_VALUE.test(v)) out[k] = v;
  }
  return out;
}

function common(options: {
  kind: string;
  feastName: string;
  name: string;
  project: string;
  restPath: string;
  tags: Record<string, string>;
  description: string;
  defaults: FeastEntityDefaults;
  extraAnnotations?: Record<string, string>;
}) {
  const { tags, defaults } = options;
  const location = `ml-feast:${defaults.apiRoot}${
    options.restPath
  }/${encodeURIComponent(options.feastName)}?project=${encodeURIComponent(
    options.project,
  )}`;
  const title = tags[TAG.title];
  const tagLabels = labels(tags);
  return {
    name: options.name,
    namespace: defaults.namespace,
    ...(title ? { title } : {}),
    description: options.description,
    ...(Object.keys(tagLabels).length ? { labels: tagLabels } : {}),
    tags: ['feast'],
    annotations: {
      [ANNOTATION_LOCATION]: location,
      [ANNOTATION_ORIGIN_LOCATION]: location,
      [ANNOTATION_FEAST_REGISTRY]: defaults.apiRoot,
      [ANNOTATION_FEAST_PROJECT]: options.project,
      [ANNOTATION_FEAST_OBJECT]: options.kind,
      [ANNOTATION_FEAST_NAME]: options.feastName,
      ...(Object.keys(tags).length
        ? { [ANNOTATION_FEAST_TAGS]: JSON.stringify(tags) }
        : {}),
      ...options.extraAnnotations,
    },
  };
}

/** The spec facts every provided Dataset takes from its tags. */
function tagFacts(tags: Record<string, string>) {
  const system = tags[TAG.system];
  const classification = tags[TAG.classification];
  const producedBy = tags[TAG.producedBy];
  const lifecycle = tags[TAG.lifecycle];
  const maxAge = tags[TAG.freshness];
  return {
    lifecycle:
      lifecycle && ENTITY_TYPE.test(lifecycle) ? lifecycle : 'production',
    ...(system && ENTITY_REF.test(system) ? { system } : {}),
    ...(classification && CLASSIFICATIONS.has(classification)
      ? { classification: classification as DatasetClassification }
      : {}),
    ...(producedBy && ENTITY_REF.test(producedBy) ? { producedBy } : {}),
    // The Dataset schema's rule for spec.freshness.maxAge.
    ...(maxAge && /^[1-9]\d{0,6}[smhdw]$/.test(maxAge)
      ? { freshness: { maxAge } }
      : {}),
  };
}

function dataSourceLocation(project: string, source: FeastDataSource) {
  const uri = source.fileOptions?.uri;
  if (uri && LOCATION_URI.test(uri)) return uri;
  if (uri && uri.startsWith('/')) return `file://${uri}`;
  const table = source.bigqueryOptions?.table;
  if (table && /^\S+$/.test(table)) return `bigquery://${table}`;
  return `feast://${project}/data-sources/${source.name}`;
}

function dataSourceFormat(source: FeastDataSource): string | undefined {
  const fileFormat = source.fileOptions?.fileFormat ?? {};
  if ('parquetFormat' in fileFormat) return 'parquet';
  if ('deltaFormat' in fileFormat) return 'delta';
  const uri = source.fileOptions?.uri ?? '';
  if (/\.parquet$/i.test(uri)) return 'parquet';
  return undefined;
}

/**
 * The Dataset entities of one Feast project: feature services, then feature
 * views, then data sources (an entity name taken by an earlier one skips the
 * later with the reason), and the objects skipped.
 */
export function feastProjectEntities(
  snapshot: FeastProjectSnapshot,
  defaults: FeastEntityDefaults,
  taken: Map<string, string> = new Map(),
): { entities: DatasetEntityV1alpha1[]; skipped: FeastSkip[] } {
  const { project } = snapshot;
  const entities: DatasetEntityV1alpha1[] = [];
  const skipped: FeastSkip[] = [];

  // Data source name -> the Dataset ref a view derived from it points to.
  const sourceRefs = new Map<string, string>();
  for (const source of snapshot.dataSources) {
    const tagged = source.tags?.[TAG.dataset];
    if (tagged && ENTITY_REF.test(tagged)) {
      sourceRefs.set(source.name, tagged);
    } else if (source.type !== 'REQUEST_SOURCE') {
      const name = feastEntityName(source.name);
      if (name) sourceRefs.set(source.name, name);
    }
  }
  const viewNames = new Map<string, string>();
  const viewEntities = new Map<string, string[]>();
  for (const view of snapshot.featureViews) {
    const name = feastEntityName(view.spec.name);
    if (name) viewNames.set(view.spec.name, name);
    viewEntities.set(view.spec.name, view.spec.entities ?? []);
  }

  const claim = (
    object: string,
    name: string | undefined,
    feastName: string,
  ) => {
    if (!name) {
      skipped.push({
        object,
        reason: `"${feastName}" does not map to a valid entity name (letters, digits and single -_. between them, at most 63 characters; _ becomes -)`,
      });
      return false;
    }
    const holder = taken.get(name);
    if (holder) {
      skipped.push({
        object,
        reason: `its entity name "${name}" is already taken by ${holder}`,
      });
      return false;
    }
    taken.set(name, object);
    return true;
  };

  for (const service of snapshot.featureServices) {
    const { spec } = service;
    const object = `feature service ${project}/${spec.name}`;
    const name = feastEntityName(spec.name);
    if (!claim(object, name, spec.name)) continue;
    const tags = spec.tags ?? {};
    const ownership = owner(tags, spec.owner, defaults.defaultOwner);
    if ('skipped' in ownership) {
      taken.delete(name!);
      skipped.push({ object, reason: ownership.skipped });
      continue;
    }
    const projections = spec.features ?? [];
    const fields = projections.flatMap(p =>
      (p.featureColumns ?? []).map(f => ({
        ...field(f),
        name: `${p.featureViewNameAlias || p.featureViewName}:${f.name}`,
      })),
    );
    const feastEntities = [
      ...new Set(
        projections.flatMap(p => viewEntities.get(p.featureViewName) ?? []),
      ),
    ].filter(e => e !== '__dummy');
    const derivedFrom = [
      ...new Set(
        projections.flatMap(p => {
          const ref = viewNames.get(p.featureViewName);
          return ref ? [ref] : [];
        }),
      ),
    ];
    entities.push({
      apiVersion: ML_API_VERSION,
      kind: DATASET_KIND,
      metadata: common({
        kind: 'feature-service',
        feastName: spec.name,
        name: name!,
        project,
        restPath: '/feature_services',
        tags,
        description:
          spec.description ||
          `Feast feature service ${spec.name} (project ${project}): ${projections.length} feature views`,
        defaults,
        extraAnnotations: feastEntities.length
          ? { [ANNOTATION_FEAST_ENTITIES]: feastEntities.join(',') }
          : {},
      }),
      spec: {
        type: 'features',
        ...tagFacts(tags),
        owner: ownership.owner,
        location: `feast://${project}/feature-services/${spec.name}`,
        ...(fields.length ? { schema: { fields } } : {}),
        ...(derivedFrom.length ? { derivedFrom } : {}),
      },
    });
  }

  for (const view of snapshot.featureViews) {
    const { spec } = view;
    const kind = VIEW_KINDS[view.type ?? ''] ?? 'feature-view';
    const object = `${kind.replace(/-/g, ' ')} ${project}/${spec.name}`;
    const name = viewNames.get(spec.name);
    if (!claim(object, name, spec.name)) continue;
    const tags = spec.tags ?? {};
    const ownership = owner(tags, spec.owner, defaults.defaultOwner);
    if ('skipped' in ownership) {
      taken.delete(name!);
      skipped.push({ object, reason: ownership.skipped });
      continue;
    }
    const feastEntities = (spec.entities ?? []).filter(e => e !== '__dummy');
    const fields = [
      ...(spec.entityColumns ?? []).map(f => field(f, 'Entity join key')),
      ...(spec.features ?? []).map(f => field(f)),
    ];
    const inputs = [spec.batchSource?.name, spec.streamSource?.name].flatMap(
      s => (s && sourceRefs.has(s) ? [sourceRefs.get(s)!] : []),
    );
    for (const input of Object.values(spec.sources ?? {})) {
      const upstream = input.featureViewProjection?.featureViewName;
      const ref = upstream ? viewNames.get(upstream) : undefined;
      if (ref) inputs.push(ref);
    }
    const derivedFrom = [...new Set(inputs)];
    const ttl = spec.ttl && spec.ttl !== '0s' ? spec.ttl : undefined;
    entities.push({
      apiVersion: ML_API_VERSION,
      kind: DATASET_KIND,
      metadata: common({
        kind,
        feastName: spec.name,
        name: name!,
        project,
        restPath: '/feature_views',
        tags,
        description:
          spec.description ||
          `Feast feature view ${spec.name} (project ${project})`,
        defaults,
        extraAnnotations: {
          ...(feastEntities.length
            ? { [ANNOTATION_FEAST_ENTITIES]: feastEntities.join(',') }
            : {}),
          ...(ttl ? { [ANNOTATION_FEAST_TTL]: ttl } : {}),
        },
      }),
      spec: {
        type: 'features',
        ...tagFacts(tags),
        owner: ownership.owner,
        location: `feast://${project}/${spec.name}`,
        ...(fields.length ? { schema: { fields } } : {}),
        ...(derivedFrom.length ? { derivedFrom } : {}),
      },
    });
  }

  for (const source of snapshot.dataSources) {
    const tags = source.tags ?? {};
    // A source that is a catalog Dataset already, or request-time input.
    if (tags[TAG.dataset] && ENTITY_REF.test(tags[TAG.dataset])) continue;
    if (source.type === 'REQUEST_SOURCE') continue;
    const object = `data source ${project}/${source.name}`;
    const name = feastEntityName(source.name);
    if (!claim(object, name, source.name)) continue;
    const ownership = owner(tags, source.owner, defaults.defaultOwner);
    if ('skipped' in ownership) {
      taken.delete(name!);
      skipped.push({ object, reason: ownership.skipped });
      continue;
    }
    const format = dataSourceFormat(source);
    entities.push({
      apiVersion: ML_API_VERSION,
      kind: DATASET_KIND,
      metadata: common({
        kind: 'data-source',
        feastName: source.name,
        name: name!,
        project,
        restPath: '/data_sources',
        tags,
        description:
          source.description ||
          `Feast data source ${source.name} (project ${project})`,
        defaults,
      }),
      spec: {
        type: 'table',
        ...tagFacts(tags),
        owner: ownership.owner,
        location: dataSourceLocation(project, source),
        ...(format ? { format } : {}),
      },
    });
  }

  return { entities, skipped };
}
