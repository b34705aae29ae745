/*
 * KServe's InferenceService controller in Serverless mode, the part a portal
 * reads: per change of the predictor a new Knative revision
 * (`<name>-predictor-0000N`), the traffic split of `canaryTrafficPercent`
 * between the latest revision and the last rolled-out one, `status.url` and
 * `status.address` (ingress domain `example.com`), and the conditions
 * (PredictorConfigurationReady, PredictorRouteReady, PredictorReady,
 * IngressReady, Ready).
 *
 * As in KServe: with `canaryTrafficPercent` set below 100 the latest revision
 * gets that percent (tag `latest`) and the previously rolled-out revision the
 * rest (tag `prev`); with it unset or 100 the latest revision takes all the
 * traffic and becomes the rolled-out one; 0 rolls back (all to `prev`).
 * Changing only `canaryTrafficPercent` makes no new revision.
 *
 * Tests pin a failing latest revision with the `kube-apiserver.test/phase:
 * Failed` annotation (and `kube-apiserver.test/message`): it never becomes
 * ready, its traffic stays on the last ready revision, PredictorReady and
 * Ready are False with reason RevisionFailed.
 */
import {
  ControllerContext,
  MESSAGE_ANNOTATION,
  PHASE_ANNOTATION,
  hash,
  now,
} from './common';

/** The ingress domain of KServe's default config. */
export const KSERVE_INGRESS_DOMAIN = 'example.com';

interface RevisionState {
  uid: string;
  /** digest of the predictor template of the latest revision */
  template: string;
  /** number of the latest created revision */
  latest: number;
  /** number of the latest ready revision (0: none) */
  ready: number;
  rolledOut: number;
  previous: number;
}

const revisionName = (name: string, n: number) =>
  `${name}-predictor-${String(n).padStart(5, '0')}`;

/** Writes an InferenceService's revisions, traffic and conditions to its status. */
export function inferenceServiceController({
  cluster,
  kinds,
}: ControllerContext): (isvc: any) => void {
  const { inferenceService: isvcT } = kinds;
  const state = new Map<string, RevisionState>();
  return isvc => {
    if (!isvcT) return;
    const ns = isvc.metadata.namespace;
    const name = isvc.metadata.name;
    const key = `${ns}/${name}`;
    const predictor = isvc.spec?.predictor ?? {};
    const { canaryTrafficPercent, ...template } = predictor;
    const digest = hash(template);
    const failed = isvc.metadata.annotations?.[PHASE_ANNOTATION] === 'Failed';
    let s = state.get(key);
    if (!s || s.uid !== isvc.metadata.uid) {
      // a fixture's status carries the revisions a controller made before
      const p = isvc.status?.components?.predictor;
      const num = (r?: string) => Number(r?.match(/-(\d{5})$/)?.[1] ?? 0);
      const latest = num(p?.latestCreatedRevision);
      s = {
        uid: isvc.metadata.uid,
        template: digest,
        latest: latest || 1,
        ready: latest ? num(p?.latestReadyRevision) : 0,
        rolledOut: num(p?.latestRolledoutRevision),
        previous: num(p?.previousRolledoutRevision),
      };
      state.set(key, s);
    } else if (s.template !== digest) {
      s.template = digest;
      s.latest += 1;
    }
    if (!failed) s.ready = s.latest;
    const canary =
      typeof canaryTrafficPercent === 'number' ? canaryTrafficPercent : 100;
    const host = (prefix: string) => `${prefix}-${ns}.${KSERVE_INGRESS_DOMAIN}`;
    const predictorHost = host(`${name}-predictor`);
    // rolled out: the latest ready revision when it takes all the traffic
    if (s.ready && (canary >= 100 || !s.rolledOut)) {
      if (s.rolledOut !== s.ready) {
        if (s.rolledOut) s.previous = s.rolledOut;
        s.rolledOut = s.ready;
      }
    }
    const traffic: any[] = [];
    if (s.ready) {
      const latestReady = revisionName(name, s.ready);
      const splitting = canary < 100 && s.rolledOut && s.rolledOut !== s.ready;
      traffic.push({
        latestRevision: true,
        percent: splitting ? canary : 100,
        revisionName: latestReady,
        tag: 'latest',
        url: `http://latest-${predictorHost}`,
      });
      if (splitting) {
        traffic.push({
          latestRevision: false,
          percent: 100 - canary,
          revisionName: revisionName(name, s.rolledOut),
          tag: 'prev',
          url: `http://prev-${predictorHost}`,
        });
      }
    }
    const message = isvc.metadata.annotations?.[MESSAGE_ANNOTATION];
    const latestOk = !failed;
    const ready = latestOk && s.ready > 0;
    const previous = new Map<string, any>(
      (isvc.status?.conditions ?? []).map((c: any) => [c.type, c]),
    );
    const condition = (
      type: string,
      ok: boolean,
      reason?: string,
      msg?: string,
    ) => {
      const status = ok ? 'True' : 'False';
      const before = previous.get(type);
      return {
        type,
        status,
        ...(type.endsWith('Ready') && type !== 'Ready' && !ok
          ? { severity: 'Info' }
          : {}),
        lastTransitionTime:
          before?.status === status ? before.lastTransitionTime : now(),
        ...(ok ? {} : { reason, message: msg }),
      };
    };
    const revisionFailed = `Revision "${revisionName(
      name,
      s.latest,
    )}" failed with message: ${
      message ?? 'Container failed with: model failed to load'
    }.`;
    const status: any = {
      // the route's URL, once a revision is ready, whatever the latest's state
      ...(s.ready ? { url: `http://${host(name)}` } : {}),
      ...(s.ready
        ? {
            address: {
              url: `http://${name}.${ns}.svc.cluster.local`,
            },
          }
        : {}),
      components: {
        predictor: {
          latestCreatedRevision: revisionName(name, s.latest),
          ...(s.ready
            ? { latestReadyRevision: revisionName(name, s.ready) }
            : {}),
          ...(s.rolledOut
            ? { latestRolledoutRevision: revisionName(name, s.rolledOut) }
            : {}),
          ...(s.previous
            ? { previousRolledoutRevision: revisionName(name, s.previous) }
            : {}),
          ...(s.ready
            ? {
                url: `http://${predictorHost}`,
                address: {
                  url: `http://${name}-predictor.${ns}.svc.cluster.local`,
                },
                traffic,
              }
            : {}),
        },
      },
      conditions: [
        condition(
          'IngressReady',
          s.ready > 0,
          'IngressNotConfigured',
          'Ingress has not yet been reconciled.',
        ),
        condition(
          'LatestDeploymentReady',
          latestOk,
          'RevisionFailed',
          revisionFailed,
        ),
        condition(
          'PredictorConfigurationReady',
          latestOk,
          'RevisionFailed',
          revisionFailed,
        ),
        condition('PredictorReady', ready, 'RevisionFailed', revisionFailed),
        condition(
          'PredictorRouteReady',
          s.ready > 0,
          'RevisionMissing',
          'Configuration has no ready revision.',
        ),
        condition('Ready', ready, 'RevisionFailed', revisionFailed),
      ],
      modelStatus: {
        copies: { failedCopies: failed ? 1 : 0, totalCopies: 1 },
        states: {
          activeModelState: s.ready ? 'Loaded' : 'FailedToLoad',
          targetModelState: latestOk ? 'Loaded' : 'FailedToLoad',
        },
        transitionStatus: latestOk ? 'UpToDate' : 'BlockedByFailedLoad',
        ...(latestOk
          ? {}
          : {
              lastFailureInfo: {
                reason: 'ModelLoadFailed',
                message: message ?? 'model failed to load',
                modelRevisionName: revisionName(name, s.latest),
              },
            }),
      },
      deploymentMode: 'Serverless',
      observedGeneration: isvc.metadata.generation,
    };
    const current = cluster.store.get(isvcT, ns, name);
    if (!current) return;
    if (JSON.stringify(status) !== JSON.stringify(current.status)) {
      cluster.update(
        isvcT,
        current.apiVersion.split('/')[1],
        ns,
        name,
        { ...current, status },
        { status: true },
      );
    }
  };
}
