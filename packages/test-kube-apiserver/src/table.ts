/*
 * meta.k8s.io/v1 Table responses, which `kubectl get` asks for. Columns
 * follow the real printers (pkg/printers/internalversion) for the built-in
 * kinds and the CRDs' additionalPrinterColumns for custom resources.
 */
import { ResourceType } from './resources';
import { crdObject } from './crds';

type Column = {
  name: string;
  type?: string;
  jsonPath: string;
  priority?: number;
  description?: string;
};

/** kubectl's duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 ? `${m}m${s % 60}s` : `${m}m`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 ? `${h}h${m % 60}m` : `${h}h`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 ? `${d}d${h % 24}h` : `${d}d`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

const since = (ts: string | undefined) =>
  ts ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>';

/**
 * The JSONPath subset CRD printer columns use: `.a.b`, `.a[0]`,
 * `.a[?(@.k=="v")].b` and unquoted literals `.a[?(@.k==true)].b`.
 */
export function evalJsonPath(o: any, path: string): unknown {
  const tokens =
    path.match(
      /\.[^.[\]]+|\[\?\(@\.[^=]+==(?:["'][^"']*["']|[\w.-]+)\)\]|\[\d+\]/g,
    ) ?? [];
  let cur: any[] = [o];
  for (const t of tokens) {
    const next: any[] = [];
    for (const c of cur) {
      if (c === null || c === undefined) continue;
      if (t.startsWith('.')) next.push(c[t.slice(1)]);
      else if (/^\[\d+\]$/.test(t))
        next.push(Array.isArray(c) ? c[Number(t.slice(1, -1))] : undefined);
      else {
        const [, key, quoted, bare] =
          /^\[\?\(@\.([^=]+)==(?:["']([^"']*)["']|([\w.-]+))\)\]$/.exec(t)!;
        const value = quoted ?? bare;
        if (Array.isArray(c))
          next.push(...c.filter(x => String(x?.[key]) === value));
      }
    }
    cur = next.filter(x => x !== undefined);
  }
  if (cur.length === 0) return undefined;
  return cur.length === 1 ? cur[0] : cur.join(' ');
}

function containerList(o: any): any[] {
  return (
    o.spec?.template?.spec?.containers ??
    o.spec?.jobTemplate?.spec?.template?.spec?.containers ??
    []
  );
}

function computed(o: any, key: string): unknown {
  switch (key) {
    case '$name':
      return o.metadata.name;
    case '$age':
      return since(o.metadata.creationTimestamp);
    case '$ready': {
      const cs: any[] = o.status?.containerStatuses ?? [];
      return `${cs.filter(c => c.ready).length}/${
        o.spec?.containers?.length ?? 0
      }`;
    }
    case '$restarts':
      return (o.status?.containerStatuses ?? []).reduce(
        (n: number, c: any) => n + (c.restartCount ?? 0),
        0,
      );
    case '$externalIP':
      return o.spec?.type === 'LoadBalancer'
        ? o.status?.loadBalancer?.ingress?.[0]?.ip ?? '<pending>'
        : '<none>';
    case '$ports':
      return (
        (o.spec?.ports ?? [])
          .map((p: any) => `${p.port}/${p.protocol ?? 'TCP'}`)
          .join(',') || '<none>'
      );
    case '$selector':
      return (
        Object.entries(o.spec?.selector ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',') || '<none>'
      );
    case '$roleRef':
      return `${o.roleRef?.kind}/${o.roleRef?.name}`;
    case '$accessModes':
      return (o.status?.accessModes ?? [])
        .map(
          (m: string) =>
            ({
              ReadWriteOnce: 'RWO',
              ReadOnlyMany: 'ROX',
              ReadWriteMany: 'RWX',
              ReadWriteOncePod: 'RWOP',
            }[m] ?? m),
        )
        .join(',');
    case '$quotaRequest':
    case '$quotaLimit': {
      const hard = o.status?.hard ?? {};
      const used = o.status?.used ?? {};
      const limits = key === '$quotaLimit';
      return Object.keys(hard)
        .sort()
        .filter(k =>
          limits ? k.startsWith('limits.') : !k.startsWith('limits.'),
        )
        .map(k => `${k}: ${used[k] ?? '0'}/${hard[k]}`)
        .join(', ');
    }
    case '$stsReady':
      return `${o.status?.readyReplicas ?? 0}/${o.spec?.replicas ?? 0}`;
    case '$containers':
      return containerList(o)
        .map(c => c.name)
        .join(',');
    case '$images':
      return containerList(o)
        .map(c => c.image)
        .join(',');
    case '$jobStatus': {
      const conds: any[] = o.status?.conditions ?? [];
      const has = (type: string) =>
        conds.some(c => c.type === type && c.status === 'True');
      if (has('Complete')) return 'Complete';
      if (has('Failed')) return 'Failed';
      if (o.spec?.suspend) return 'Suspended';
      return 'Running';
    }
    case '$completions':
      return `${o.status?.succeeded ?? 0}/${o.spec?.completions ?? 1}`;
    case '$duration': {
      const start = o.status?.startTime;
      if (!start) return '';
      const end = o.status?.completionTime
        ? Date.parse(o.status.completionTime)
        : Date.now();
      return humanDuration(end - Date.parse(start));
    }
    case '$activeJobs':
      return (o.status?.active ?? []).length;
    case '$lastSchedule':
      return o.status?.lastScheduleTime
        ? since(o.status.lastScheduleTime)
        : '<none>';
    case '$dataCount':
      return (
        Object.keys(o.data ?? {}).length +
        Object.keys(o.binaryData ?? {}).length
      );
    case '$lastSeen':
      return since(
        o.lastTimestamp ?? o.eventTime ?? o.metadata.creationTimestamp,
      );
    case '$involvedObject':
      return `${String(o.involvedObject?.kind ?? '').toLowerCase()}/${
        o.involvedObject?.name ?? ''
      }`;
    default:
      return undefined;
  }
}

const CELL_TYPES: Record<string, string> = {
  integer: 'integer',
  number: 'number',
  boolean: 'boolean',
  date: 'date',
};

function columnsOf(t: ResourceType, version: string): Column[] {
  let cols: Column[];
  if (t.crd) {
    const v = crdObject(t)?.spec?.versions?.find(
      (x: any) => x.name === version,
    );
    cols = v?.additionalPrinterColumns ?? [
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
    ];
  } else {
    cols = [...(t.columns ?? [])];
    // the event printer shows LAST SEEN instead of AGE
    if (
      !cols.some(
        c => ['$age', '$lastSeen'].includes(c.jsonPath) || c.type === 'date',
      )
    )
      cols.push({ name: 'Age', jsonPath: '$age' });
  }
  if (!cols.some(c => c.jsonPath === '$name'))
    cols = [{ name: 'Name', jsonPath: '$name' }, ...cols];
  return cols;
}

/** `?includeObject=`: None, Object, or Metadata (the default). */
function rowObject(o: any, includeObject?: string): { object?: unknown } {
  if (includeObject === 'None') return {};
  if (includeObject === 'Object') return { object: o };
  return {
    object: {
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: o.metadata,
    },
  };
}

export function toTable(
  t: ResourceType,
  version: string,
  objects: any[],
  listMeta: object,
  includeObject?: string,
) {
  const cols = columnsOf(t, version);
  const columnDefinitions = cols.map(c => ({
    name: c.name,
    type:
      c.jsonPath === '$name' ? 'string' : CELL_TYPES[c.type ?? ''] ?? 'string',
    format: c.jsonPath === '$name' ? 'name' : '',
    description:
      c.description ??
      (c.jsonPath === '$name'
        ? 'Name must be unique within a namespace.'
        : c.name),
    priority: c.priority ?? 0,
  }));
  const rows = objects.map(o => {
    const cells = cols.map(c => {
      const v = c.jsonPath.startsWith('$')
        ? computed(o, c.jsonPath)
        : evalJsonPath(o, c.jsonPath);
      // CRD date columns are humanised by the server; built-in printers send timestamps
      if (c.type === 'date' && t.crd) {
        return typeof v === 'string' ? since(v) : '<unknown>';
      }
      if (v === undefined || v === null)
        return c.type === 'integer' ? null : '<none>';
      if (c.type === 'integer') return Number(v);
      return typeof v === 'object' ? JSON.stringify(v) : v;
    });
    return { cells, ...rowObject(o, includeObject) };
  });
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: listMeta,
    columnDefinitions,
    rows,
  };
}
