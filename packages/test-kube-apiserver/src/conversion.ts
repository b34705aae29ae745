/*
 * Conversion between the served versions of a custom resource and its
 * storage version (the first of ResourceType.versions), after Kueue's
 * conversion webhooks (apis/kueue/v1beta1/*_conversion.go). Versions without
 * an entry here have identical schemas.
 */
import { ResourceType, apiVersionOf } from './resources';

const WPC_SOURCE = 'kueue.x-k8s.io/workloadpriorityclass';
const POD_PC_SOURCE = 'scheduling.k8s.io/priorityclass';

function rename(o: any, from: string, to: string): void {
  if (o && o[from] !== undefined) {
    o[to] = o[from];
    delete o[from];
  }
}

type Converter = (o: any) => void;

const UP: Record<string, Converter> = {
  'ClusterQueue/v1beta1': o => rename(o.spec, 'cohort', 'cohortName'),
  'LocalQueue/v1beta1': o => {
    rename(o.status, 'flavorUsage', 'flavorsUsage');
    if (o.status) delete o.status.flavors;
  },
  'Workload/v1beta1': o => {
    const s = o.spec ?? {};
    if (
      s.priorityClassName &&
      (s.priorityClassSource === WPC_SOURCE ||
        s.priorityClassSource === POD_PC_SOURCE)
    ) {
      s.priorityClassRef =
        s.priorityClassSource === WPC_SOURCE
          ? {
              group: 'kueue.x-k8s.io',
              kind: 'WorkloadPriorityClass',
              name: s.priorityClassName,
            }
          : {
              group: 'scheduling.k8s.io',
              kind: 'PriorityClass',
              name: s.priorityClassName,
            };
    }
    delete s.priorityClassName;
    delete s.priorityClassSource;
    rename(
      o.status,
      'accumulatedPastExexcutionTimeSeconds',
      'accumulatedPastExecutionTimeSeconds',
    );
  },
};

const DOWN: Record<string, Converter> = {
  'ClusterQueue/v1beta1': o => rename(o.spec, 'cohortName', 'cohort'),
  'LocalQueue/v1beta1': o => rename(o.status, 'flavorsUsage', 'flavorUsage'),
  'Workload/v1beta1': o => {
    const s = o.spec ?? {};
    const ref = s.priorityClassRef;
    if (
      ref?.group === 'kueue.x-k8s.io' &&
      ref?.kind === 'WorkloadPriorityClass'
    ) {
      s.priorityClassSource = WPC_SOURCE;
      s.priorityClassName = ref.name;
    } else if (
      ref?.group === 'scheduling.k8s.io' &&
      ref?.kind === 'PriorityClass'
    ) {
      s.priorityClassSource = POD_PC_SOURCE;
      s.priorityClassName = ref.name;
    }
    delete s.priorityClassRef;
    rename(
      o.status,
      'accumulatedPastExecutionTimeSeconds',
      'accumulatedPastExexcutionTimeSeconds',
    );
  },
};

/** `obj` (a copy, in `version`) converted to the storage version, in place. */
export function toStorage(t: ResourceType, version: string, obj: any): any {
  UP[`${t.kind}/${version}`]?.(obj);
  obj.apiVersion = apiVersionOf(t);
  return obj;
}

/** Whether objects of `t` read in `version` differ from their stored form. */
export function converts(t: ResourceType, version: string): boolean {
  return `${t.kind}/${version}` in DOWN;
}

/** `obj` (a copy, in the storage version) converted to `version`, in place. */
export function fromStorage(t: ResourceType, version: string, obj: any): any {
  DOWN[`${t.kind}/${version}`]?.(obj);
  obj.apiVersion = apiVersionOf(t, version);
  return obj;
}
