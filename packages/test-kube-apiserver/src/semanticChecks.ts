/*
 * The semantic checks of the real API server that matter to our clients,
 * beyond what the OpenAPI schemas say: names, labels, containers and their
 * resources, pod specs, workload selectors, Job restart policies, quota
 * quantities. Each returns the causes of a 422.
 */
import { ResourceType } from './resources';
import { StatusCause, errors } from './status';
import { parseQuantity, QUANTITY_ERROR } from './quantity';
import { MESSAGES } from './messages';
import { invalid, q, required } from './causes';

const SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** metadata.name against the kind's name rule (DNS subdomain, label or RFC 1035 label). */
export function nameCauses(t: ResourceType, name: string): StatusCause[] {
  if (t.nameRule === 'path') return pathSegmentCauses(name);
  let rule: 'dns1035' | 'label' | 'subdomain' = t.nameRule ?? 'subdomain';
  if (t.kind === 'Service') rule = 'dns1035';
  const max = rule === 'subdomain' ? 253 : 63;
  const out: StatusCause[] = [];
  if (name.length > max) {
    out.push(
      invalid('metadata.name', name, `must be no more than ${max} characters`),
    );
  }
  const re = { dns1035: DNS1035, label: LABEL, subdomain: SUBDOMAIN }[rule];
  if (!re.test(name)) out.push(invalid('metadata.name', name, MESSAGES[rule]));
  return out;
}

/** A path segment name (ValidatePathSegmentName), as RBAC kinds have. */
function pathSegmentCauses(name: string): StatusCause[] {
  if (name === '.' || name === '..') {
    return [invalid('metadata.name', name, `may not be '${name}'`)];
  }
  return ['/', '%']
    .filter(c => name.includes(c))
    .map(c => invalid('metadata.name', name, `may not contain '${c}'`));
}

/** Label keys and values as the API server checks them. */
export function labelCauses(
  labels: unknown,
  field = 'metadata.labels',
): StatusCause[] {
  if (!labels || typeof labels !== 'object') return [];
  const out: StatusCause[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    const slash = k.lastIndexOf('/');
    const namePart = slash < 0 ? k : k.slice(slash + 1);
    const prefix = slash < 0 ? '' : k.slice(0, slash);
    if (!QUALIFIED_NAME.test(namePart) || namePart.length > 63) {
      out.push(invalid(field, k, MESSAGES.qualifiedName));
    } else if (prefix && (!SUBDOMAIN.test(prefix) || prefix.length > 253)) {
      out.push(invalid(field, k, `prefix part ${MESSAGES.subdomain}`));
    }
    if (typeof v === 'string' && (v.length > 63 || !LABEL_VALUE.test(v))) {
      out.push(
        invalid(
          field,
          v,
          v.length > 63
            ? 'must be no more than 63 characters'
            : MESSAGES.labelValue,
        ),
      );
    }
  }
  return out;
}

function isNativeResource(name: string): boolean {
  return !name.includes('/') || name.includes('kubernetes.io/');
}

function containerCauses(c: any, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (!c?.name) out.push(required(`${field}.name`));
  else if (!LABEL.test(c.name) || c.name.length > 63) {
    out.push(invalid(`${field}.name`, c.name, MESSAGES.label));
  }
  if (!c?.image) out.push(required(`${field}.image`));
  const res = c?.resources ?? {};
  for (const kind of ['limits', 'requests'] as const) {
    for (const [rn, rv] of Object.entries(res[kind] ?? {})) {
      const f = `${field}.resources.${kind}[${rn}]`;
      let parsed;
      try {
        parsed = parseQuantity(rv as string);
      } catch {
        throw errors.badRequest(QUANTITY_ERROR);
      }
      if (parsed.milli < 0n)
        out.push(invalid(f, rv, 'must be greater than or equal to 0'));
      if (!isNativeResource(rn) && parsed.milli % 1000n !== 0n) {
        out.push(invalid(f, rv, 'must be an integer'));
      }
    }
  }
  for (const [rn, rv] of Object.entries(res.requests ?? {})) {
    const limit = res.limits?.[rn];
    if (!isNativeResource(rn)) {
      if (limit === undefined) {
        out.push(
          required(
            `${field}.resources.limits`,
            'Limit must be set for non overcommitable resources',
          ),
        );
      } else if (
        parseQuantity(limit).milli !== parseQuantity(rv as string).milli
      ) {
        out.push(
          invalid(
            `${field}.resources.requests[${rn}]`,
            rv,
            `must be equal to ${rn} limit of ${limit}`,
          ),
        );
      }
    } else if (
      limit !== undefined &&
      parseQuantity(rv as string).milli > parseQuantity(limit).milli
    ) {
      out.push(
        invalid(
          `${field}.resources.requests`,
          rv,
          `must be less than or equal to ${rn} limit of ${limit}`,
        ),
      );
    }
  }
  return out;
}

function podSpecCauses(spec: any, field: string): StatusCause[] {
  if (!spec) return [required(field)];
  const out: StatusCause[] = [];
  if (!Array.isArray(spec.containers) || spec.containers.length === 0) {
    out.push(required(`${field}.containers`));
  } else {
    const seen = new Set<string>();
    spec.containers.forEach((c: any, i: number) => {
      out.push(...containerCauses(c, `${field}.containers[${i}]`));
      if (c?.name && seen.has(c.name)) {
        out.push({
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${q(c.name)}`,
          field: `${field}.containers[${i}].name`,
        });
      }
      seen.add(c?.name);
    });
  }
  (spec.initContainers ?? []).forEach((c: any, i: number) =>
    out.push(...containerCauses(c, `${field}.initContainers[${i}]`)),
  );
  return out;
}

function selectorMatches(
  selector: any,
  labels: Record<string, string> = {},
): boolean {
  const ml = selector?.matchLabels ?? {};
  if (!Object.entries(ml).every(([k, v]) => labels[k] === v)) return false;
  return (selector?.matchExpressions ?? []).every((e: any) => {
    const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
    switch (e.operator) {
      case 'In':
        return has(e.key) && e.values?.includes(labels[e.key]);
      case 'NotIn':
        return !has(e.key) || !e.values?.includes(labels[e.key]);
      case 'Exists':
        return has(e.key);
      case 'DoesNotExist':
        return !has(e.key);
      default:
        return false;
    }
  });
}

function goMap(labels: Record<string, string> = {}): string {
  const entries = Object.keys(labels)
    .sort()
    .map(k => `"${k}":"${labels[k]}"`);
  return `map[string]string{${entries.join(', ')}}`;
}

function workloadControllerCauses(obj: any): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = obj.spec ?? {};
  const tpl = spec.template ?? {};
  const isJob = obj.kind === 'Job' || obj.kind === 'CronJob';
  if (!isJob) {
    if (!spec.selector) out.push(required('spec.selector'));
    else if (
      Object.keys(spec.selector.matchLabels ?? {}).length === 0 &&
      (spec.selector.matchExpressions ?? []).length === 0
    ) {
      out.push(
        invalid(
          'spec.selector',
          'null',
          'empty selector is invalid for deployment',
        ),
      );
    } else if (!selectorMatches(spec.selector, tpl.metadata?.labels)) {
      out.push(
        invalid(
          'spec.template.metadata.labels',
          goMap(tpl.metadata?.labels),
          '`selector` does not match template `labels`',
        ),
      );
    }
    if (spec.replicas !== undefined && spec.replicas < 0) {
      out.push(
        invalid(
          'spec.replicas',
          spec.replicas,
          'must be greater than or equal to 0',
        ),
      );
    }
  }
  return out;
}

/** The kind-specific checks the schemas cannot express; [] when the object passes. */
export function semanticCauses(obj: any): StatusCause[] {
  switch (obj.kind) {
    case 'Pod':
      return podSpecCauses(obj.spec, 'spec');
    case 'StatefulSet':
    case 'Deployment':
    case 'ReplicaSet':
    case 'DaemonSet':
      return [
        ...workloadControllerCauses(obj),
        ...labelCauses(
          obj.spec?.template?.metadata?.labels,
          'spec.template.metadata.labels',
        ),
        ...podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec'),
      ];
    case 'Job': {
      const out = podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec');
      const rp = obj.spec?.template?.spec?.restartPolicy;
      if (rp !== 'OnFailure' && rp !== 'Never') {
        out.push(
          rp === undefined || rp === 'Always'
            ? {
                reason: 'FieldValueRequired',
                message: 'Required value: valid values: "OnFailure", "Never"',
                field: 'spec.template.spec.restartPolicy',
              }
            : {
                reason: 'FieldValueNotSupported',
                message: `Unsupported value: ${q(
                  rp,
                )}: supported values: "OnFailure", "Never"`,
                field: 'spec.template.spec.restartPolicy',
              },
        );
      }
      return out;
    }
    case 'CronJob': {
      const out = podSpecCauses(
        obj.spec?.jobTemplate?.spec?.template?.spec,
        'spec.jobTemplate.spec.template.spec',
      );
      if (!obj.spec?.schedule) out.push(required('spec.schedule'));
      return out;
    }
    case 'ResourceQuota':
      for (const [k, v] of Object.entries(obj.spec?.hard ?? {})) {
        try {
          parseQuantity(v as string);
        } catch {
          throw errors.badRequest(QUANTITY_ERROR);
        }
        if (!k) return [required('spec.hard')];
      }
      return [];
    case 'Notebook':
      return podSpecCauses(obj.spec?.template?.spec, 'spec.template.spec');
    case 'Workload':
      return (obj.spec?.podSets ?? []).flatMap((ps: any, i: number) =>
        podSpecCauses(ps.template?.spec, `spec.podSets[${i}].template.spec`),
      );
    default:
      return [];
  }
}
