/**
 * Prometheus label matchers that select a model's serving metrics,
 * e.g. `namespace="fraud", model="fraud-detector"`. Parsed as matchers, never
 * pasted into PromQL.
 *
 * @public
 */
export const ANNOTATION_METRICS_SELECTOR = 'mlplatform.io/metrics-selector';

/**
 * Name of the metrics profile (the PromQL templates of a serving runtime such
 * as `openmetrics`, `kserve` or `triton`) used for a model.
 *
 * @public
 */
export const ANNOTATION_METRICS_PROFILE = 'mlplatform.io/metrics-profile';

/**
 * Alertmanager label matchers selecting the alerts that concern an entity.
 *
 * @public
 */
export const ANNOTATION_ALERT_SELECTOR = 'mlplatform.io/alert-selector';

/**
 * Where a model's versions live in a registry configured under `ml.registries`,
 * e.g. `oci://registry.example.com/models/fraud-detector` or `mlflow://fraud-detector`
 * (`mlflow://<registry>/<model>` when several MLflow registries are configured).
 *
 * @public
 */
export const ANNOTATION_REGISTRY_REF = 'mlplatform.io/registry-ref';

/**
 * Backstage's own Kubernetes annotations, re-exported so ML entities show
 * their workloads in `@backstage/plugin-kubernetes`.
 *
 * @public
 */
export const ANNOTATION_KUBERNETES_ID = 'backstage.io/kubernetes-id';

/** @public */
export const ANNOTATION_KUBERNETES_LABEL_SELECTOR =
  'backstage.io/kubernetes-label-selector';

/**
 * The MLflow experiment of a Model or a Pipeline, whose runs the entity page
 * lists and compares: the experiment's name (e.g. `fraud-detector`), or
 * `<registry name>/<experiment name>` to pick one of several `ml.registries`
 * entries of type `mlflow`. See docs/experiments.md.
 *
 * @public
 */
export const ANNOTATION_MLFLOW_EXPERIMENT = 'mlplatform.io/mlflow-experiment';

/**
 * Label matchers of the entity's streams in the central log store (Loki),
 * e.g. `namespace="fraud", app="fraud-detector"`. Parsed as matchers with
 * `parseLabelMatchers` and written into LogQL from the parsed form, never
 * pasted. See docs/logs.md.
 *
 * @public
 */
export const ANNOTATION_LOGS_SELECTOR = 'mlplatform.io/logs-selector';

/**
 * Backstage's namespace annotation for `@backstage/plugin-kubernetes`: when
 * set, an entity's pods are only looked for in this namespace.
 *
 * @public
 */
export const ANNOTATION_KUBERNETES_NAMESPACE =
  'backstage.io/kubernetes-namespace';
