/*
 * Why a workload waits, in words a data scientist understands. Kueue's
 * QuotaReserved condition carries a structured reason (Pending,
 * WaitingForQuota, ExceedsMaxQuota, Inadmissible, …) and a message written
 * for operators ("couldn't assign flavors to pod set main: insufficient
 * unused quota for nvidia.com/gpu in flavor a100, 2 more needed"); the
 * quota page, the notebook form and the MCP tool all show the same sentence,
 * so it is computed here, once.
 */

/** What the sentence is made from. @public */
export interface PendingReasonInput {
  /** `Workload` (Kueue) or `Pod` (ResourceQuota or scheduler). */
  kind?: 'Workload' | 'Pod';
  /** Kueue's QuotaReserved condition reason, or the event reason for pods. */
  reason?: string;
  /** Kueue's or the event's own message. */
  message: string;
  /** 0-based position in its ClusterQueue, from Kueue's visibility API. */
  positionInClusterQueue?: number;
  /** 0-based position in its LocalQueue. */
  positionInLocalQueue?: number;
}

/**
 * A resource as people say it: `nvidia.com/gpu` in flavor `a100` is
 * "A100 GPUs", a MIG slice is "MIG 1g.10gb slices", cpu is "CPUs".
 */
function resourceWords(resource: string, flavor?: string, n = 2): string {
  const plural = n === 1 ? '' : 's';
  const mig = /^nvidia\.com\/mig-(.+)$/.exec(resource);
  if (mig) return `MIG ${mig[1]} slice${plural}`;
  if (resource === 'nvidia.com/gpu') {
    return flavor ? `${flavor.toUpperCase()} GPU${plural}` : `GPU${plural}`;
  }
  if (resource === 'cpu') return `CPU${plural}`;
  if (resource === 'memory') return 'memory';
  return resource;
}

/** `2`, `16Gi`: a number of devices stays a number, anything else is quoted as is. */
function amount(q: string): { n: number; text: string } {
  const n = Number(q);
  return Number.isFinite(n) ? { n, text: String(n) } : { n: 2, text: q };
}

const UNUSED =
  /insufficient unused quota for (\S+) in flavor ([^,;]+), (\S+) more needed/g;
const OVER_MAX_NEW =
  /insufficient quota for (\S+) in flavor ([^,;]+), previously considered podsets requests \((\S+)\) \+ current podset request \((\S+)\) > maximum capacity \((\S+)\)/;
const OVER_MAX_OLD =
  /insufficient quota for (\S+) in flavor ([^,;]+), request > maximum capacity \((\S+) > (\S+)\)/;
const UNAVAILABLE = /resource (\S+) unavailable in ClusterQueue/;
const QUOTA_DENIED =
  /exceeded quota: ([^,\s]+), requested: ([^,\s]+)=(\S+?), used: [^=]+=(\S+?), limited: [^=]+=(\S+)/;

function quotaSentence(message: string): string | undefined {
  const shortfalls = [...message.matchAll(UNUSED)].map(m => {
    const a = amount(m[3]);
    return `${a.text} more ${resourceWords(m[1], m[2].trim(), a.n)}`;
  });
  if (shortfalls.length) {
    return `Waiting: the team's queue needs ${shortfalls.join(
      ' or ',
    )} than are free`;
  }
  const over = OVER_MAX_NEW.exec(message);
  if (over) {
    const asked = amount(over[4]);
    return `Won't start as asked: it needs ${asked.text} ${resourceWords(
      over[1],
      over[2].trim(),
      asked.n,
    )} but the queue can never have more than ${
      over[5]
    }, even borrowing; ask for fewer or for a bigger quota`;
  }
  const old = OVER_MAX_OLD.exec(message);
  if (old) {
    const asked = amount(old[3]);
    return `Won't start as asked: it needs ${asked.text} ${resourceWords(
      old[1],
      old[2].trim(),
      asked.n,
    )} but the queue can never have more than ${
      old[4]
    }, even borrowing; ask for fewer or for a bigger quota`;
  }
  const missing = UNAVAILABLE.exec(message);
  if (missing) {
    return `Won't start here: the team's queue has no ${resourceWords(
      missing[1],
    )} at all; use a queue that offers them`;
  }
  return undefined;
}

function queueSentence(reason: string, message: string): string | undefined {
  const cq =
    /ClusterQueue (\S+) is (inactive|stopped|terminating or missing)/.exec(
      message,
    );
  if (cq) {
    return `Paused: the cluster queue ${cq[1]} is ${
      cq[2] === 'terminating or missing' ? 'missing' : 'stopped'
    }; the platform team has to turn it back on`;
  }
  const lq =
    /LocalQueue (\S+) (doesn't exist|is stopped|is inactive|is terminating or missing)/.exec(
      message,
    );
  if (lq) {
    return lq[2] === 'is stopped' || lq[2] === 'is inactive'
      ? `Paused: the team's queue ${lq[1]} is stopped`
      : `Won't start: the queue ${lq[1]} does not exist in this namespace; check the queue name`;
  }
  if (/namespace doesn't match ClusterQueue selector/.test(message)) {
    return "Won't start: this namespace may not use that cluster queue";
  }
  if (reason === 'WaitingForPreemptedWorkloads') {
    return 'Starting soon: waiting for lower-priority workloads to give their GPUs back';
  }
  if (reason === 'Deactivated' || /deactivated/i.test(message)) {
    return 'Stopped: the workload was deactivated and will not start until it is reactivated';
  }
  if (/admission check/i.test(message)) {
    return 'Waiting: quota is reserved, an admission check has yet to pass';
  }
  return undefined;
}

function podSentence(reason: string, message: string): string | undefined {
  const denied = QUOTA_DENIED.exec(message);
  if (denied) {
    const resource = denied[2].replace(/^(requests|limits)\./, '');
    return `Refused: the namespace quota ${denied[1]} allows ${
      denied[5]
    } ${resourceWords(resource)}, ${denied[4]} are in use and this asks for ${
      denied[3]
    }`;
  }
  if (reason === 'FailedScheduling') {
    return /Insufficient nvidia\.com\//.test(message)
      ? 'Not scheduled: no node has enough free GPUs right now'
      : 'Not scheduled: no node can take it right now';
  }
  return undefined;
}

function positionWords(input: PendingReasonInput): string {
  const cq = input.positionInClusterQueue;
  if (cq === undefined) return '';
  const ahead =
    cq === 0
      ? 'it is next in line'
      : `${cq} workload${cq === 1 ? ' is' : 's are'} ahead of it`;
  const lq = input.positionInLocalQueue;
  const own =
    lq !== undefined && cq > 0 && lq !== cq
      ? ` (${lq} from its own team's queue)`
      : '';
  return `; ${ahead}${own}`;
}

/**
 * One sentence saying why a workload waits and, when Kueue's visibility API
 * answered, how many workloads are ahead of it, e.g. "Waiting: the team's
 * queue needs 2 more A100 GPUs than are free; 3 workloads are ahead of it".
 * An unknown message is kept as Kueue wrote it, after "Waiting:".
 *
 * @public
 */
export function describePendingReason(input: PendingReasonInput): string {
  const reason = input.reason ?? '';
  const message = input.message.trim();
  const sentence =
    (input.kind === 'Pod' ? podSentence(reason, message) : undefined) ??
    quotaSentence(message) ??
    queueSentence(reason, message) ??
    `Waiting: ${message || 'Kueue has not reserved quota for it yet'}`;
  return `${sentence}${positionWords(input)}`;
}
