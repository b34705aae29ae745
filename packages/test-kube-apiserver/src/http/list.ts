/*
 * GET on a collection: a list with label and field selectors, paging by
 * limit and continue token, Table output for kubectl — or a watch.
 */
import { apiVersionOf } from '../resources';
import { errors } from '../status';
import { parseFieldSelector, parseLabelSelector } from '../selectors';
import { toTable } from '../table';
import { authorize } from './auth';
import { ResourceRequest } from './context';
import { isWatch } from './route';
import { listItem, send } from './wire';
import { startWatch } from './watch';

interface ContinueToken {
  rv: number;
  start: string;
}

function encodeContinue(c: ContinueToken): string {
  return Buffer.from(
    JSON.stringify({ v: 'meta.k8s.io/v1', rv: c.rv, start: c.start }),
  ).toString('base64');
}

function decodeContinue(s: string): ContinueToken {
  try {
    const o = JSON.parse(Buffer.from(s, 'base64').toString('utf8'));
    if (typeof o.rv !== 'number' || typeof o.start !== 'string')
      throw new Error();
    return { rv: o.rv, start: o.start };
  } catch {
    throw errors.badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  }
}

/** Lists or watches the objects of a collection that match the selectors. */
export function getCollection(rr: ResourceRequest): void {
  const { cluster, res, route: r, type: t, query, record, present } = rr;
  const watch = isWatch(r, query);
  const verb = watch ? 'watch' : 'list';
  record.verb = verb;
  authorize(rr.user, verb, r);
  if (!t.verbs.includes(verb)) throw errors.methodNotSupported(rr.target, verb);
  const labelSel = parseLabelSelector(query.labelSelector ?? null);
  const fieldSel = parseFieldSelector(query.fieldSelector ?? null, t.kind);
  const matches = (o: any) =>
    labelSel(o.metadata?.labels) &&
    fieldSel(o) &&
    (!r.namespace || !t.namespaced || o.metadata.namespace === r.namespace);
  if (watch) {
    startWatch(rr, matches);
    return;
  }
  let items = cluster.store.list(t, r.namespace).filter(matches);
  const limit = query.limit ? Number(query.limit) : 0;
  let cont: string | undefined;
  let remaining: number | undefined;
  let rv = cluster.store.resourceVersion;
  if (query.continue) {
    const c = decodeContinue(query.continue);
    rv = c.rv;
    items = items.filter(
      o => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > c.start,
    );
  }
  if (limit > 0 && items.length > limit) {
    const last = items[limit - 1];
    remaining = items.length - limit;
    items = items.slice(0, limit);
    cont = encodeContinue({
      rv,
      start: `${last.metadata.namespace ?? ''}/${last.metadata.name}`,
    });
  }
  const list = {
    kind: `${t.kind}List`,
    apiVersion: apiVersionOf(t, r.version),
    metadata: {
      resourceVersion: String(rv),
      ...(cont ? { continue: cont } : {}),
      ...(cont && !query.labelSelector && !query.fieldSelector
        ? { remainingItemCount: remaining }
        : {}),
    },
    items: items.map(o => listItem(t, o, present)),
  };
  if (/as=Table/.test(rr.accept))
    send(
      res,
      200,
      toTable(
        t,
        r.version,
        items.map(present),
        list.metadata,
        query.includeObject,
      ),
    );
  else send(res, 200, list);
}
