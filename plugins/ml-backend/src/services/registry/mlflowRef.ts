import { ModelRegistryError } from '@mlplatform/plugin-ml-node';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,255}$/;

/**
 * An MLflow registry ref split in its parts: `mlflow://<model>` leaves
 * `registry` unset (fine while one MLflow registry is configured),
 * `mlflow://<registry>/<model>` names the `ml.registries` entry to ask.
 *
 * @internal
 */
export interface MlflowRefParts {
  registry?: string;
  model: string;
}

/**
 * Parses `mlflow://<model>` or `mlflow://<registry>/<model>`; MLflow names
 * never contain `/`, so the two forms cannot be confused.
 *
 * @internal
 */
export function splitMlflowRef(ref: string): MlflowRefParts {
  const m = /^mlflow:\/\/(?:([^/]*)\/)?([^/]*)$/.exec(ref);
  if (!m || !NAME.test(m[2]) || (m[1] !== undefined && !NAME.test(m[1]))) {
    throw new ModelRegistryError(
      'invalid-ref',
      `Invalid registry ref "${ref}": expected mlflow://<registered model name> or mlflow://<registry>/<registered model name> (letters, digits, . _ -)`,
    );
  }
  return m[1] === undefined ? { model: m[2] } : { registry: m[1], model: m[2] };
}
