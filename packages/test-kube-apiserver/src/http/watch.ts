/*
 * Watches: a chunked stream of ADDED / MODIFIED / DELETED events for the
 * objects that match, from now (with the current objects first) or from a
 * resourceVersion still in the store's history (410 Expired otherwise).
 */
import { randomUUID } from 'node:crypto';
import { apiVersionOf } from '../resources';
import { statusBody } from '../status';
import { StoreEvent } from '../store';
import { ResourceRequest } from './context';

/** Streams the events of the objects `matches` accepts until timeoutSeconds, or the client leaves. */
export function startWatch(
  rr: ResourceRequest,
  matches: (o: any) => boolean,
): void {
  const { cluster, req, res, route: r, type: t, query, watches } = rr;
  const present = rr.present;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
    'Audit-Id': randomUUID(),
  });
  res.flushHeaders();
  watches.add(res);
  const write = (type: string, object: unknown) => {
    if (!res.writableEnded) res.write(`${JSON.stringify({ type, object })}\n`);
  };
  const visible = new Set<string>();
  const key = (o: any) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  const rvParam = query.resourceVersion;
  const current = cluster.store.list(t, r.namespace).filter(matches);
  for (const o of current) visible.add(key(o));
  const onEvent = (e: StoreEvent) => {
    if (e.resource !== t) return;
    const o = e.object;
    if (r.namespace && t.namespaced && o.metadata.namespace !== r.namespace)
      return;
    const k = key(o);
    const was = visible.has(k);
    const is = e.type !== 'DELETED' && matches(o);
    if (e.type === 'DELETED') {
      if (was || matches(o)) write('DELETED', present(o));
      visible.delete(k);
    } else if (is && !was) {
      visible.add(k);
      write('ADDED', present(o));
    } else if (is && was) write(e.type, present(o));
    else if (!is && was) {
      // an object that stops matching the selector leaves the watch as DELETED
      visible.delete(k);
      write('DELETED', present(o));
    }
  };
  let unsubscribe = () => {};
  if (!rvParam || rvParam === '0') {
    for (const o of current) write('ADDED', present(o));
    if (query.sendInitialEvents === 'true') {
      write('BOOKMARK', {
        kind: t.kind,
        apiVersion: apiVersionOf(t, r.version),
        metadata: {
          resourceVersion: String(cluster.store.resourceVersion),
          annotations: { 'k8s.io/initial-events-end': 'true' },
        },
      });
    }
    unsubscribe = cluster.store.subscribe(onEvent);
  } else {
    const from = Number(rvParam);
    const past = Number.isFinite(from)
      ? cluster.store.eventsSince(t, from)
      : undefined;
    if (!past) {
      write(
        'ERROR',
        statusBody(
          410,
          'Expired',
          `too old resource version: ${rvParam} (${
            cluster.store.oldestResourceVersion + 1
          })`,
        ),
      );
      res.end();
      watches.delete(res);
      return;
    }
    // visibility at `from` is approximated by what matches now
    for (const e of past) onEvent(e);
    unsubscribe = cluster.store.subscribe(onEvent);
  }
  const timeout = query.timeoutSeconds ? Number(query.timeoutSeconds) : 0;
  const timer =
    timeout > 0 ? setTimeout(() => res.end(), timeout * 1000) : undefined;
  const cleanup = () => {
    unsubscribe();
    if (timer) clearTimeout(timer);
    watches.delete(res);
  };
  res.on('close', cleanup);
  req.on('close', cleanup);
}
