/*
 * The resource types this server serves, with the discovery data of the
 * real API server (names, short names, verbs, categories) and, for the
 * custom resources, of the Kueue, Kubeflow and Argo Workflows CRDs.
 * Over 400 lines because it is one table: every served kind in one place,
 * in discovery order, to be read and compared side by side.
 */

/** The optional CRD groups: Kueue, Kubeflow notebooks and TensorBoards, Argo Workflows. */
export type CrdGroup = 'kueue' | 'kubeflow' | 'argo' | 'kserve';

/** Where a type's objects come from and how they are checked. */
export interface ResourceType {
  group: string;
  /** Served versions, preferred (storage) first. */
  versions: string[];
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources: Array<'status' | 'scale' | 'log'>;
  /** Verbs; read-only types lack the writes. */
  verbs: string[];
  /** kubernetes-models module of each built-in version, for validation. */
  model?: string;
  /** CRD group that must be enabled for this type to be served. */
  crd?: CrdGroup;
  /**
   * Name validation: DNS-1123 subdomain (default), label, or a path segment
   * (RBAC roles and bindings: anything without `/` or `%`, not `.` or `..`).
   */
  nameRule?: 'subdomain' | 'label' | 'path';
  /**
   * `kubectl get` columns of a built-in kind, as its printer in
   * pkg/printers/internalversion has them: NAME first unless `$name` places
   * it, AGE last unless `$age` places it. Custom resources take theirs from
   * the CRD's additionalPrinterColumns.
   */
  columns?: Array<{
    name: string;
    type?: string;
    jsonPath: string;
    priority?: number;
  }>;
}

const ALL = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
const READ = ['get', 'list', 'watch'];

export const RESOURCE_TYPES: ResourceType[] = [
  {
    group: '',
    versions: ['v1'],
    kind: 'Namespace',
    plural: 'namespaces',
    singular: 'namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    model: 'kubernetes-models/v1/Namespace',
    nameRule: 'label',
    columns: [{ name: 'Status', jsonPath: '.status.phase' }],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Pod',
    plural: 'pods',
    singular: 'pod',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'log'],
    verbs: ALL,
    model: 'kubernetes-models/v1/Pod',
    columns: [
      { name: 'Ready', jsonPath: '$ready' },
      { name: 'Status', jsonPath: '.status.phase' },
      { name: 'Restarts', type: 'integer', jsonPath: '$restarts' },
      { name: 'Age', jsonPath: '$age' },
      { name: 'IP', jsonPath: '.status.podIP', priority: 1 },
      { name: 'Node', jsonPath: '.spec.nodeName', priority: 1 },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Service',
    plural: 'services',
    singular: 'service',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    verbs: [
      'create',
      'delete',
      'deletecollection',
      'get',
      'list',
      'patch',
      'update',
      'watch',
    ],
    model: 'kubernetes-models/v1/Service',
    nameRule: 'label',
    columns: [
      { name: 'Type', jsonPath: '.spec.type' },
      { name: 'Cluster-IP', jsonPath: '.spec.clusterIP' },
      { name: 'External-IP', jsonPath: '$externalIP' },
      { name: 'Port(s)', jsonPath: '$ports' },
      { name: 'Age', jsonPath: '$age' },
      { name: 'Selector', jsonPath: '$selector', priority: 1 },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'PersistentVolumeClaim',
    plural: 'persistentvolumeclaims',
    singular: 'persistentvolumeclaim',
    namespaced: true,
    shortNames: ['pvc'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/v1/PersistentVolumeClaim',
    columns: [
      { name: 'Status', jsonPath: '.status.phase' },
      { name: 'Volume', jsonPath: '.spec.volumeName' },
      { name: 'Capacity', jsonPath: '.status.capacity.storage' },
      { name: 'Access Modes', jsonPath: '$accessModes' },
      { name: 'StorageClass', jsonPath: '.spec.storageClassName' },
      {
        name: 'VolumeAttributesClass',
        jsonPath: '.spec.volumeAttributesClassName',
      },
      { name: 'Age', jsonPath: '$age' },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'ResourceQuota',
    plural: 'resourcequotas',
    singular: 'resourcequota',
    namespaced: true,
    shortNames: ['quota'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/v1/ResourceQuota',
    columns: [
      { name: 'Age', jsonPath: '$age' },
      { name: 'Request', jsonPath: '$quotaRequest' },
      { name: 'Limit', jsonPath: '$quotaLimit' },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'Event',
    plural: 'events',
    singular: 'event',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/v1/Event',
    columns: [
      { name: 'Last Seen', jsonPath: '$lastSeen' },
      { name: 'Type', jsonPath: '.type' },
      { name: 'Reason', jsonPath: '.reason' },
      { name: 'Object', jsonPath: '$involvedObject' },
      { name: 'Message', jsonPath: '.message' },
      { name: 'Count', type: 'integer', jsonPath: '.count', priority: 1 },
      { name: 'Name', jsonPath: '$name', priority: 1 },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'ConfigMap',
    plural: 'configmaps',
    singular: 'configmap',
    namespaced: true,
    shortNames: ['cm'],
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/v1/ConfigMap',
    columns: [{ name: 'Data', type: 'integer', jsonPath: '$dataCount' }],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'ServiceAccount',
    plural: 'serviceaccounts',
    singular: 'serviceaccount',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/v1/ServiceAccount',
  },
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'StatefulSet',
    plural: 'statefulsets',
    singular: 'statefulset',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    verbs: ALL,
    model: 'kubernetes-models/apps/v1/StatefulSet',
    columns: [
      { name: 'Ready', jsonPath: '$stsReady' },
      { name: 'Age', jsonPath: '$age' },
      { name: 'Containers', jsonPath: '$containers', priority: 1 },
      { name: 'Images', jsonPath: '$images', priority: 1 },
    ],
  },
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'Deployment',
    plural: 'deployments',
    singular: 'deployment',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    verbs: ALL,
    model: 'kubernetes-models/apps/v1/Deployment',
    columns: [
      { name: 'Ready', jsonPath: '$stsReady' },
      {
        name: 'Up-to-date',
        type: 'integer',
        jsonPath: '.status.updatedReplicas',
      },
      {
        name: 'Available',
        type: 'integer',
        jsonPath: '.status.availableReplicas',
      },
      { name: 'Age', jsonPath: '$age' },
      { name: 'Containers', jsonPath: '$containers', priority: 1 },
      { name: 'Images', jsonPath: '$images', priority: 1 },
    ],
  },
  {
    group: 'batch',
    versions: ['v1'],
    kind: 'Job',
    plural: 'jobs',
    singular: 'job',
    namespaced: true,
    categories: ['all'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/batch/v1/Job',
    columns: [
      { name: 'Status', jsonPath: '$jobStatus' },
      { name: 'Completions', jsonPath: '$completions' },
      { name: 'Duration', jsonPath: '$duration' },
      { name: 'Age', jsonPath: '$age' },
      { name: 'Containers', jsonPath: '$containers', priority: 1 },
      { name: 'Images', jsonPath: '$images', priority: 1 },
    ],
  },
  {
    group: 'batch',
    versions: ['v1'],
    kind: 'CronJob',
    plural: 'cronjobs',
    singular: 'cronjob',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/batch/v1/CronJob',
    nameRule: 'subdomain',
    columns: [
      { name: 'Schedule', jsonPath: '.spec.schedule' },
      { name: 'Timezone', jsonPath: '.spec.timeZone' },
      { name: 'Suspend', jsonPath: '.spec.suspend' },
      { name: 'Active', type: 'integer', jsonPath: '$activeJobs' },
      { name: 'Last Schedule', jsonPath: '$lastSchedule' },
      { name: 'Age', jsonPath: '$age' },
    ],
  },
  {
    group: '',
    versions: ['v1'],
    kind: 'LimitRange',
    plural: 'limitranges',
    singular: 'limitrange',
    namespaced: true,
    shortNames: ['limits'],
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/v1/LimitRange',
  },
  // served (stored and validated) so dashboards such as the Backstage
  // Kubernetes plugin find every kind they list; no controller acts on them
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'ReplicaSet',
    plural: 'replicasets',
    singular: 'replicaset',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    verbs: ALL,
    model: 'kubernetes-models/apps/v1/ReplicaSet',
    columns: [
      { name: 'Desired', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Current', type: 'integer', jsonPath: '.status.replicas' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas' },
      { name: 'Age', jsonPath: '$age' },
    ],
  },
  {
    group: 'apps',
    versions: ['v1'],
    kind: 'DaemonSet',
    plural: 'daemonsets',
    singular: 'daemonset',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/apps/v1/DaemonSet',
  },
  {
    group: 'autoscaling',
    versions: ['v2'],
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    singular: 'horizontalpodautoscaler',
    namespaced: true,
    shortNames: ['hpa'],
    categories: ['all'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
  },
  {
    group: 'networking.k8s.io',
    versions: ['v1'],
    kind: 'Ingress',
    plural: 'ingresses',
    singular: 'ingress',
    namespaced: true,
    shortNames: ['ing'],
    subresources: ['status'],
    verbs: ALL,
    model: 'kubernetes-models/networking.k8s.io/v1/Ingress',
  },
  {
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    kind: 'ClusterRole',
    plural: 'clusterroles',
    singular: 'clusterrole',
    namespaced: false,
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole',
    nameRule: 'path',
    columns: [{ name: 'Created At', jsonPath: '.metadata.creationTimestamp' }],
  },
  {
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    kind: 'ClusterRoleBinding',
    plural: 'clusterrolebindings',
    singular: 'clusterrolebinding',
    namespaced: false,
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding',
    nameRule: 'path',
    columns: [
      { name: 'Role', jsonPath: '$roleRef' },
      { name: 'Age', jsonPath: '$age' },
    ],
  },
  {
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    kind: 'Role',
    plural: 'roles',
    singular: 'role',
    namespaced: true,
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/rbac.authorization.k8s.io/v1/Role',
    nameRule: 'path',
    columns: [{ name: 'Created At', jsonPath: '.metadata.creationTimestamp' }],
  },
  {
    group: 'rbac.authorization.k8s.io',
    versions: ['v1'],
    kind: 'RoleBinding',
    plural: 'rolebindings',
    singular: 'rolebinding',
    namespaced: true,
    subresources: [],
    verbs: ALL,
    model: 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding',
    nameRule: 'path',
    columns: [
      { name: 'Role', jsonPath: '$roleRef' },
      { name: 'Age', jsonPath: '$age' },
    ],
  },
  {
    group: 'apiextensions.k8s.io',
    versions: ['v1'],
    kind: 'CustomResourceDefinition',
    plural: 'customresourcedefinitions',
    singular: 'customresourcedefinition',
    namespaced: false,
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    verbs: READ,
    columns: [
      {
        name: 'Created At',
        type: 'date',
        jsonPath: '.metadata.creationTimestamp',
      },
    ],
  },
  // Kueue (kubernetes-sigs/kueue config/components/crd/bases)
  {
    group: 'kueue.x-k8s.io',
    versions: ['v1beta2', 'v1beta1'],
    kind: 'ClusterQueue',
    plural: 'clusterqueues',
    singular: 'clusterqueue',
    namespaced: false,
    shortNames: ['cq'],
    subresources: ['status'],
    verbs: ALL,
    crd: 'kueue',
  },
  {
    group: 'kueue.x-k8s.io',
    versions: ['v1beta2', 'v1beta1'],
    kind: 'LocalQueue',
    plural: 'localqueues',
    singular: 'localqueue',
    namespaced: true,
    shortNames: ['queue', 'queues', 'lq'],
    subresources: ['status'],
    verbs: ALL,
    crd: 'kueue',
  },
  {
    group: 'kueue.x-k8s.io',
    versions: ['v1beta2', 'v1beta1'],
    kind: 'ResourceFlavor',
    plural: 'resourceflavors',
    singular: 'resourceflavor',
    namespaced: false,
    shortNames: ['flavor', 'flavors', 'rf'],
    subresources: [],
    verbs: ALL,
    crd: 'kueue',
  },
  {
    group: 'kueue.x-k8s.io',
    versions: ['v1beta2', 'v1beta1', 'v1alpha1'],
    kind: 'Cohort',
    plural: 'cohorts',
    singular: 'cohort',
    namespaced: false,
    subresources: ['status'],
    verbs: ALL,
    crd: 'kueue',
  },
  {
    group: 'kueue.x-k8s.io',
    versions: ['v1beta2', 'v1beta1'],
    kind: 'Workload',
    plural: 'workloads',
    singular: 'workload',
    namespaced: true,
    shortNames: ['wl'],
    subresources: ['status'],
    verbs: ALL,
    crd: 'kueue',
  },
  // Kubeflow (kubeflow/notebooks notebook-controller/config/crd)
  {
    group: 'kubeflow.org',
    versions: ['v1', 'v1beta1'],
    kind: 'Notebook',
    plural: 'notebooks',
    singular: 'notebook',
    namespaced: true,
    subresources: ['status'],
    verbs: ALL,
    crd: 'kubeflow',
  },
  // Kubeflow (kubeflow/kubeflow tensorboard-controller/config/crd)
  {
    group: 'tensorboard.kubeflow.org',
    versions: ['v1alpha1'],
    kind: 'Tensorboard',
    plural: 'tensorboards',
    singular: 'tensorboard',
    namespaced: true,
    subresources: ['status'],
    verbs: ALL,
    crd: 'kubeflow',
  },
  // Argo Workflows (argoproj/argo-workflows manifests/base/crds); like
  // upstream, no status subresource: the workflow controller updates the whole object
  {
    group: 'argoproj.io',
    versions: ['v1alpha1'],
    kind: 'Workflow',
    plural: 'workflows',
    singular: 'workflow',
    namespaced: true,
    shortNames: ['wf'],
    subresources: [],
    verbs: ALL,
    crd: 'argo',
  },
  {
    group: 'argoproj.io',
    versions: ['v1alpha1'],
    kind: 'WorkflowTemplate',
    plural: 'workflowtemplates',
    singular: 'workflowtemplate',
    namespaced: true,
    shortNames: ['wftmpl'],
    subresources: [],
    verbs: ALL,
    crd: 'argo',
  },
  {
    group: 'argoproj.io',
    versions: ['v1alpha1'],
    kind: 'CronWorkflow',
    plural: 'cronworkflows',
    singular: 'cronworkflow',
    namespaced: true,
    shortNames: ['cwf', 'cronwf'],
    subresources: [],
    verbs: ALL,
    crd: 'argo',
  },
  // KServe (kserve/kserve config/crd/full)
  {
    group: 'serving.kserve.io',
    versions: ['v1beta1'],
    kind: 'InferenceService',
    plural: 'inferenceservices',
    singular: 'inferenceservice',
    namespaced: true,
    shortNames: ['isvc'],
    subresources: ['status'],
    verbs: ALL,
    crd: 'kserve',
  },
];

/** The types served with the given CRD groups enabled. */
export function servedTypes(crds: CrdGroup[]): ResourceType[] {
  return RESOURCE_TYPES.filter(t => !t.crd || crds.includes(t.crd));
}

export function apiVersionOf(t: ResourceType, version = t.versions[0]): string {
  return t.group ? `${t.group}/${version}` : version;
}

/** Splits `apps/v1` → ['apps', 'v1'] and `v1` → ['', 'v1']. */
export function splitApiVersion(apiVersion: string): [string, string] {
  const i = apiVersion.lastIndexOf('/');
  return i < 0
    ? ['', apiVersion]
    : [apiVersion.slice(0, i), apiVersion.slice(i + 1)];
}
