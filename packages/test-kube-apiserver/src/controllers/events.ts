/*
 * Events the controllers record (Scheduled, SuccessfulCreate, FailedCreate,
 * ...), aggregated like the event recorder's: a repeat bumps the count of
 * the first one.
 */
import { randomBytes } from 'node:crypto';
import { Cluster } from '../cluster';
import { ResourceType, apiVersionOf } from '../resources';
import { now } from './common';

/** Records an event about `involved` (of type `it`) from `component`. */
export type RecordEvent = (
  involved: any,
  it: ResourceType,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
  component: string,
) => void;

/** An event recorder writing Events of type `evT` into `cluster`. */
export function eventRecorder(
  cluster: Cluster,
  evT: ResourceType,
): RecordEvent {
  const series = new Map<string, string>();
  return (involved, it, type, reason, message, component) => {
    const ns = involved.metadata.namespace;
    // repeats of an event are counted on the first one, like the event recorder's aggregation
    const seriesKey = `${involved.metadata.uid}|${reason}|${message}`;
    const seen = series.get(seriesKey);
    const existing = seen ? cluster.store.get(evT, ns, seen) : undefined;
    if (existing) {
      cluster.update(evT, 'v1', ns, existing.metadata.name, {
        ...existing,
        count: (existing.count ?? 1) + 1,
        lastTimestamp: now(),
      });
      return;
    }
    const ts = now();
    const created = cluster.create(evT, 'v1', ns, {
      metadata: {
        name: `${involved.metadata.name}.${randomBytes(8).toString('hex')}`,
        namespace: ns,
      },
      involvedObject: {
        kind: it.kind,
        namespace: ns,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: apiVersionOf(it),
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: '',
    });
    series.set(seriesKey, created.object.metadata.name);
  };
}
