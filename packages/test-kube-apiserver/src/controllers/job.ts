/*
 * The Job controller: one pod at a time until `completions` succeed, unless
 * the Job is suspended, has failed more than backoffLimit times, or is
 * finished (a Complete or Failed condition, e.g. from a seed);
 * status.active/ready/succeeded/failed and the Complete condition.
 */
import { clone } from '../json';
import { StatusError } from '../status';
import { ControllerContext, isReady, now, ownedBy, ownerRef } from './common';

/** Starts the next pod of a Job if it needs one and writes its status. */
export function jobController({
  cluster,
  kinds,
  record,
}: ControllerContext): (job: any) => void {
  const { pod: podT, job: jobT } = kinds;
  return job => {
    const finished = (job.status?.conditions ?? []).some(
      (c: any) =>
        ['Complete', 'Failed'].includes(c.type) && c.status === 'True',
    );
    if (finished) return;
    const ns = job.metadata.namespace;
    const pods = cluster.store.list(podT, ns).filter(p => ownedBy(p, job));
    const completions = job.spec?.completions ?? 1;
    const succeeded = pods.filter(p => p.status?.phase === 'Succeeded').length;
    const failed = pods.filter(p => p.status?.phase === 'Failed').length;
    const complete = succeeded >= completions;
    if (
      !job.spec?.suspend &&
      !complete &&
      pods.filter(p => !['Succeeded', 'Failed'].includes(p.status?.phase))
        .length === 0 &&
      failed <= (job.spec?.backoffLimit ?? 6)
    ) {
      const tpl = clone(job.spec?.template ?? {});
      try {
        const created = cluster.create(podT, 'v1', ns, {
          metadata: {
            ...tpl.metadata,
            // the labels the real Job defaulting puts on its pod template
            labels: {
              ...tpl.metadata?.labels,
              'batch.kubernetes.io/job-name': job.metadata.name,
              'job-name': job.metadata.name,
            },
            generateName: `${job.metadata.name}-`,
            namespace: ns,
            ownerReferences: [ownerRef(jobT, job)],
          },
          spec: tpl.spec,
        });
        record(
          job,
          jobT,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.object.metadata.name}`,
          'job-controller',
        );
      } catch (e) {
        if (!(e instanceof StatusError)) throw e;
        record(
          job,
          jobT,
          'Warning',
          'FailedCreate',
          `Error creating: ${e.message}`,
          'job-controller',
        );
      }
    }
    const current = cluster.store.get(jobT, ns, job.metadata.name);
    if (!current) return;
    const all = cluster.store.list(podT, ns).filter(p => ownedBy(p, job));
    const active = all.filter(
      p => !['Succeeded', 'Failed'].includes(p.status?.phase),
    ).length;
    const status: any = { ...(current.status ?? {}) };
    if (!status.startTime && !job.spec?.suspend) status.startTime = now();
    if (active) status.active = active;
    else delete status.active;
    status.ready = all.filter(isReady).length;
    if (succeeded) status.succeeded = succeeded;
    if (failed) status.failed = failed;
    status.terminating = 0;
    status.uncountedTerminatedPods = {};
    if (
      complete &&
      !(status.conditions ?? []).some((c: any) => c.type === 'Complete')
    ) {
      const ts = now();
      status.completionTime = ts;
      status.conditions = [
        ...(status.conditions ?? []),
        {
          type: 'SuccessCriteriaMet',
          status: 'True',
          lastProbeTime: ts,
          lastTransitionTime: ts,
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
        {
          type: 'Complete',
          status: 'True',
          lastProbeTime: ts,
          lastTransitionTime: ts,
          reason: 'CompletionsReached',
          message: 'Reached expected number of succeeded pods',
        },
      ];
    }
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        jobT,
        'v1',
        ns,
        current.metadata.name,
        { ...current, status },
        { status: true },
      );
    }
  };
}
