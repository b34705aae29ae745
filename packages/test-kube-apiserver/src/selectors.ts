/*
 * Label and field selectors as the API server parses them
 * (k8s.io/apimachinery/pkg/labels, pkg/fields).
 */
import { errors } from './status';
import { MESSAGES } from './messages';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type LabelSelector = (
  labels: Record<string, string> | undefined,
) => boolean;

function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      terms.push(cur);
      cur = '';
    } else cur += c;
  }
  if (cur.trim()) terms.push(cur);
  return terms.map(t => t.trim()).filter(Boolean);
}

const KEY =
  /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-zA-Z0-9]([-a-zA-Z0-9_.]*[a-zA-Z0-9])?$/;

function parseRequirement(term: string): Requirement {
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { op: 'notexists', key: m[1] };
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    return {
      op: m[2] as 'in' | 'notin',
      key: m[1],
      values: m[3]
        .split(',')
        .map(v => v.trim())
        .filter(v => v !== ''),
    };
  }
  m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (m) return { op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] };
  if (KEY.test(term)) return { op: 'exists', key: term };
  throw errors.badRequest(
    `unable to parse requirement: found '${term}', expected: in, notin, =, ==, !=, gt, lt`,
  );
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function checkValues(r: Requirement): Requirement {
  let values: string[] = [];
  if ('value' in r) values = [r.value];
  else if ('values' in r) values = r.values;
  for (const v of values) {
    if (v.length > 63 || !LABEL_VALUE.test(v)) {
      throw errors.badRequest(
        `unable to parse requirement: values[0][${
          r.key
        }]: Invalid value: ${JSON.stringify(v)}: ${MESSAGES.labelValue}`,
      );
    }
  }
  return r;
}

/** Parses `?labelSelector=`; throws a 400 Status for syntax errors. */
export function parseLabelSelector(text: string | null): LabelSelector {
  if (!text) return () => true;
  const reqs = splitTerms(text).map(t => checkValues(parseRequirement(t)));
  return labels => {
    const l = labels ?? {};
    return reqs.every(r => {
      const has = Object.prototype.hasOwnProperty.call(l, r.key);
      switch (r.op) {
        case 'eq':
          return has && l[r.key] === r.value;
        case 'neq':
          return !has || l[r.key] !== r.value;
        case 'in':
          return has && r.values.includes(l[r.key]);
        case 'notin':
          return !has || !r.values.includes(l[r.key]);
        case 'exists':
          return has;
        default:
          return !has;
      }
    });
  };
}

/** Field paths a kind supports in `?fieldSelector=`, beyond metadata.name/namespace. */
const EXTRA_FIELDS: Record<
  string,
  Record<string, (o: any) => string | undefined>
> = {
  Pod: {
    'status.phase': o => o.status?.phase,
    'spec.nodeName': o => o.spec?.nodeName ?? '',
    'spec.restartPolicy': o => o.spec?.restartPolicy,
    'spec.schedulerName': o => o.spec?.schedulerName,
    'spec.serviceAccountName': o => o.spec?.serviceAccountName,
    'status.podIP': o => o.status?.podIP ?? '',
  },
  Namespace: { 'status.phase': o => o.status?.phase },
  Event: {
    'involvedObject.kind': o => o.involvedObject?.kind,
    'involvedObject.name': o => o.involvedObject?.name,
    'involvedObject.namespace': o => o.involvedObject?.namespace,
    'involvedObject.uid': o => o.involvedObject?.uid,
    'involvedObject.apiVersion': o => o.involvedObject?.apiVersion,
    'involvedObject.resourceVersion': o => o.involvedObject?.resourceVersion,
    'involvedObject.fieldPath': o => o.involvedObject?.fieldPath,
    reason: o => o.reason,
    source: o => o.source?.component,
    type: o => o.type,
    reportingComponent: o => o.reportingComponent,
  },
  Job: { 'status.successful': o => String(o.status?.succeeded ?? 0) },
};

export type FieldSelector = (obj: any) => boolean;

/** Parses `?fieldSelector=` for objects of `kind`; unknown fields → 400 like the server. */
export function parseFieldSelector(
  text: string | null,
  kind: string,
): FieldSelector {
  if (!text) return () => true;
  const getters: Record<string, (o: any) => string | undefined> = {
    'metadata.name': o => o.metadata?.name,
    'metadata.namespace': o => o.metadata?.namespace ?? '',
    ...(EXTRA_FIELDS[kind] ?? {}),
  };
  const reqs = splitTerms(text).map(term => {
    const m = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!m)
      throw errors.badRequest(
        `invalid selector: '${text}'; can't understand '${term}'`,
      );
    const field = m[1].trim();
    const get = getters[field];
    if (!get) {
      throw errors.badRequest(`field label not supported: ${field}`);
    }
    return { get, neq: m[2] === '!=', value: m[3].trim() };
  });
  return obj => reqs.every(r => ((r.get(obj) ?? '') === r.value) !== r.neq);
}
