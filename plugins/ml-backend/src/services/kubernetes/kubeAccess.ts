/**
 * One rule of what the ML backend does on a cluster: the API group, the
 * resources (`pods/log` for a subresource) and the verbs, as an RBAC
 * PolicyRule names them. @internal
 */
export interface KubeAccessRule {
  apiGroup: string;
  resources: string[];
  verbs: Array<'get' | 'list' | 'create' | 'patch' | 'delete'>;
  /** Which code makes the calls, and what for (docs/deploy.md). */
  why: string;
}

/**
 * Every Kubernetes call the ML backend makes, by group, resource and verb:
 * the one list the service account's ClusterRole in `deploy/` is checked
 * against (deploy.test.ts), so a new call without its rule fails a test.
 * Keep it next to the calls: a call through {@link KubeClient} names its
 * verb and resource in its intent. Discovery (`/apis/<group>`) and
 * `/version` are non-resource URLs every authenticated user may read.
 *
 * @internal
 */
export const ML_KUBE_ACCESS: KubeAccessRule[] = [
  {
    apiGroup: '',
    resources: ['namespaces', 'resourcequotas'],
    verbs: ['list'],
    why: 'GPU quotas per namespace and the team owning it (QuotaService)',
  },
  {
    apiGroup: '',
    resources: ['events'],
    verbs: ['list'],
    why: 'Warning events: why a notebook or workload waits (FailedCreate, FailedScheduling; QuotaService)',
  },
  {
    apiGroup: '',
    resources: ['pods'],
    verbs: ['list'],
    why: 'notebook and model deployment pods the quota already counts (GpuReservations); the pods of a run or notebook for logs (PodLogsService)',
  },
  {
    apiGroup: '',
    resources: ['pods/log'],
    verbs: ['get'],
    why: 'pod logs in the portal (PodLogsService)',
  },
  {
    apiGroup: '',
    resources: ['persistentvolumeclaims', 'services'],
    verbs: ['create', 'delete'],
    why: "a notebook's workspace PVC and Service, created all-or-nothing and deleted with it (NotebookObjects)",
  },
  {
    apiGroup: 'apps',
    resources: ['statefulsets'],
    verbs: ['create', 'delete', 'list', 'patch'],
    why: 'notebooks on clusters without Kubeflow: created, listed for their phase, scaled to stop / start, annotated (idle policy), deleted (NotebookObjects)',
  },
  {
    apiGroup: 'apps',
    resources: ['deployments'],
    verbs: ['list'],
    why: 'where a Model is served by a plain Deployment (ServingService)',
  },
  {
    apiGroup: 'batch',
    resources: ['jobs'],
    verbs: ['create', 'list'],
    why: 'pipeline runs as Jobs, incl. alert-triggered retraining (KubernetesJobRunsAdapter), and their pods for logs (logTargets)',
  },
  {
    apiGroup: 'batch',
    resources: ['cronjobs'],
    verbs: ['get'],
    why: 'the CronJob a pipeline run is created from (KubernetesJobRunsAdapter)',
  },
  {
    apiGroup: 'kubeflow.org',
    resources: ['notebooks'],
    verbs: ['create', 'delete', 'list', 'patch'],
    why: 'notebooks on Kubeflow clusters, as StatefulSets above (NotebookObjects)',
  },
  {
    apiGroup: 'tensorboard.kubeflow.org',
    resources: ['tensorboards'],
    verbs: ['create', 'list'],
    why: "a run's own TensorBoard on a Kubeflow cluster (KubeflowTensorBoards)",
  },
  {
    apiGroup: 'argoproj.io',
    resources: ['workflows'],
    verbs: ['create', 'list'],
    why: 'Argo pipeline runs: listed, submitted from their template (ArgoRunsAdapter, logTargets)',
  },
  {
    apiGroup: 'argoproj.io',
    resources: ['workflowtemplates'],
    verbs: ['get'],
    why: 'the WorkflowTemplate an Argo run is submitted from (ArgoRunsAdapter)',
  },
  {
    apiGroup: 'kueue.x-k8s.io',
    resources: [
      'clusterqueues',
      'localqueues',
      'resourceflavors',
      'cohorts',
      'workloads',
    ],
    verbs: ['list'],
    why: 'Kueue quotas, borrowing and pending workloads (QuotaService); admissions for wait estimates (AdmissionObserver)',
  },
  {
    apiGroup: 'visibility.kueue.x-k8s.io',
    resources: ['clusterqueues/pendingworkloads'],
    verbs: ['get'],
    why: "queue positions from Kueue's visibility API (queuePositions)",
  },
  {
    apiGroup: 'serving.kserve.io',
    resources: ['inferenceservices'],
    verbs: ['get', 'list', 'patch'],
    why: 'where a Model is served and its governed rollout (canary traffic) (ServingService)',
  },
];
