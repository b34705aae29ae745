// Kept in step with the JSON schemas by a unit test (schemas.test.ts): the
// schemas must stay plain JSON for editors and the catalog model, and the
// semantic rules need the same definitions.

/**
 * `[kind:][namespace/]name`, as the catalog's parseEntityRef accepts it, with
 * entity-name grammar for namespace and name: the rule of the kinds' ref
 * fields and of refs read from registry annotations.
 *
 * @public
 */
export const ENTITY_REF_PATTERN =
  '^(?:[A-Za-z][A-Za-z0-9]*:)?(?:[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*/)?[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$';

/**
 * `oci://host[:port]/repository`, `mlflow://<model>` or, to name one of several
 * MLflow registries, `mlflow://<registry>/<model>`.
 */
export const REGISTRY_REF_PATTERN =
  '^(?:oci://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*|mlflow://(?:[A-Za-z0-9][A-Za-z0-9._-]*/)?[A-Za-z0-9][A-Za-z0-9._-]*)$';
