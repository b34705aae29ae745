import {
  ANNOTATION_LOCATION,
  ANNOTATION_ORIGIN_LOCATION,
} from '@backstage/catalog-model';
import {
  ANNOTATION_REGISTRY_REF,
  ENTITY_NAME_PATTERN,
  ENTITY_REF_PATTERN,
} from '@mlplatform/plugin-ml-common';
import { OciModelRepositorySummary } from '@mlplatform/plugin-ml-oci';

/** Annotation listing a provided entity's version names, newest first. */
export const ANNOTATION_REGISTRY_VERSIONS = 'mlplatform.io/registry-versions';
/** Annotation listing a provided entity's aliases as `alias=version` pairs. */
export const ANNOTATION_REGISTRY_ALIASES = 'mlplatform.io/registry-aliases';

/** An entity ref as the ML kinds' ref fields take it (ml-common's rule). */
export const ENTITY_REF = new RegExp(ENTITY_REF_PATTERN);
/** `spec.type` of Models and Datasets. */
export const ENTITY_TYPE = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const MAX_LISTED_VERSIONS = 20;
const REPEATED_SEPARATORS = /[-_.]{2}/;
const REPEATED_SEPARATORS_GLOBAL = /[-_.]{2,}/g;
// Read once: loaded from source (yarn start, tests, the benches) each export
// of ml-common is a getter behind `export *`, and the builders run for every
// repository on every ingest.
const NAME_PATTERN = ENTITY_NAME_PATTERN;
const REGISTRY_REF = ANNOTATION_REGISTRY_REF;

/**
 * The entity name for a repository: the path below the provider's prefix,
 * with `/` turned into `-` (`models/fraud/detector` -> `fraud-detector`).
 * Undefined when that is not a valid entity name.
 */
export function entityNameFor(
  repository: string,
  prefix: string,
): string | undefined {
  let name = repository.slice(prefix.length);
  if (name.includes('/')) name = name.replaceAll('/', '-');
  // The pattern admits no repeated separators: most names pass at once.
  if (name.length <= 63 && NAME_PATTERN.test(name)) return name;
  if (REPEATED_SEPARATORS.test(name)) {
    name = name.replace(REPEATED_SEPARATORS_GLOBAL, '-');
  }
  return name.length <= 63 && NAME_PATTERN.test(name) ? name : undefined;
}

/**
 * The owner of a provided entity: the current version's owner annotation,
 * else the provider's `defaultOwner`; the reason to skip the repository
 * when neither is an entity ref.
 */
export function ownerOf(
  annotated: string | undefined,
  annotationKey: string,
  defaultOwner: string | undefined,
): { owner: string } | { skipped: string } {
  const owner = annotated ?? defaultOwner;
  if (owner && ENTITY_REF.test(owner)) return { owner };
  return {
    skipped: owner
      ? `its owner annotation "${owner}" is not an entity ref`
      : `no version has a ${annotationKey} annotation and no defaultOwner is configured`,
  };
}

/** The valid entity refs of a comma-separated annotation, deduplicated. */
export function entityRefs(raw: string | undefined): string[] {
  // One ref is the common case: no list, no set to build.
  if (raw !== undefined && !raw.includes(',')) {
    const ref = raw.trim();
    return ENTITY_REF.test(ref) ? [ref] : [];
  }
  return [
    ...new Set(
      (raw ?? '')
        .split(',')
        .map(s => s.trim())
        .filter(s => ENTITY_REF.test(s)),
    ),
  ];
}

/**
 * The annotations every provided entity carries: its location, the registry
 * ref, its version names (newest first, up to 20) and aliases.
 */
export function registryAnnotations(
  registryRef: string,
  summary: OciModelRepositorySummary,
  currentVersion: string,
): Record<string, string> {
  const location = `ml-registry:${registryRef}`;
  const { versionNames, aliases } = summary;
  let versions = currentVersion;
  if (versionNames.length) {
    versions = (
      versionNames.length > MAX_LISTED_VERSIONS
        ? versionNames.slice(0, MAX_LISTED_VERSIONS)
        : versionNames
    ).join(',');
  }
  const annotations: Record<string, string> = {
    [ANNOTATION_LOCATION]: location,
    [ANNOTATION_ORIGIN_LOCATION]: location,
    [REGISTRY_REF]: registryRef,
    [ANNOTATION_REGISTRY_VERSIONS]: versions,
  };
  const pairs: string[] = [];
  for (const alias in aliases) {
    if (Object.hasOwn(aliases, alias)) {
      pairs.push(`${alias}=${aliases[alias]}`);
    }
  }
  if (pairs.length) {
    annotations[ANNOTATION_REGISTRY_ALIASES] =
      pairs.length === 1 ? pairs[0] : pairs.sort().join(',');
  }
  return annotations;
}
