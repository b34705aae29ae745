/*
 * metav1.Status bodies with the reasons, codes and message shapes of the real
 * API server (k8s.io/apimachinery/pkg/api/errors).
 */

/** One entry of `details.causes`. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}

/** A metav1.Status failure. */
export interface KubeStatus {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: {
    name?: string;
    group?: string;
    kind?: string;
    causes?: StatusCause[];
    retryAfterSeconds?: number;
  };
  code: number;
}

/** Thrown by the store and admission; the server answers with its Status. */
export class StatusError extends Error {
  constructor(readonly status: KubeStatus) {
    super(status.message);
    this.name = 'StatusError';
  }
  get code(): number {
    return this.status.code;
  }
}

/** What a Status is about: `pods` or `statefulsets` in group `apps`. */
export interface Target {
  group: string;
  resource: string;
  name?: string;
}

function qualified(t: { group: string; resource: string }): string {
  return t.group ? `${t.resource}.${t.group}` : t.resource;
}

function details(t: Target, extra: object = {}) {
  const d: Record<string, unknown> = {};
  if (t.name !== undefined) d.name = t.name;
  if (t.group) d.group = t.group;
  d.kind = t.resource;
  return { ...d, ...extra } as KubeStatus['details'];
}

export function statusBody(
  code: number,
  reason: string,
  message: string,
  d?: KubeStatus['details'],
): KubeStatus {
  const s: KubeStatus = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  };
  if (d) {
    // the real server serialises details before code
    delete (s as any).code;
    s.details = d;
    s.code = code;
  }
  return s;
}

export const errors = {
  notFound: (t: Target) =>
    new StatusError(
      statusBody(
        404,
        'NotFound',
        `${qualified(t)} "${t.name}" not found`,
        details(t),
      ),
    ),
  alreadyExists: (t: Target) =>
    new StatusError(
      statusBody(
        409,
        'AlreadyExists',
        `${qualified(t)} "${t.name}" already exists`,
        details(t),
      ),
    ),
  conflict: (t: Target) =>
    new StatusError(
      statusBody(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(t)} "${
          t.name
        }": the object has been modified; please apply your changes to the latest version and try again`,
        details(t),
      ),
    ),
  /** Conflict with another reason, e.g. a failed delete precondition. */
  conflictWith: (t: Target, why: string) =>
    new StatusError(
      statusBody(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualified(t)} "${t.name}": ${why}`,
        details(t),
      ),
    ),
  notFoundType: (group: string, version: string, kind: string) =>
    new StatusError(
      statusBody(
        404,
        'NotFound',
        `no matches for kind "${kind}" in version "${
          group ? `${group}/` : ''
        }${version}"`,
      ),
    ),
  forbidden: (t: Target, why: string) =>
    new StatusError(
      statusBody(
        403,
        'Forbidden',
        t.name
          ? `${qualified(t)} "${t.name}" is forbidden: ${why}`
          : `${qualified(t)} is forbidden: ${why}`,
        details(t),
      ),
    ),
  /** `kind` is the object kind (`Pod`), qualified by group as the server does. */
  invalid: (
    kind: string,
    group: string,
    name: string,
    causes: StatusCause[],
  ) => {
    const qkind = group ? `${kind}.${group}` : kind;
    const parts = causes.map(c =>
      c.field ? `${c.field}: ${c.message}` : c.message,
    );
    const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
    return new StatusError(
      statusBody(422, 'Invalid', `${qkind} "${name}" is invalid: ${summary}`, {
        name,
        ...(group ? { group } : {}),
        kind,
        causes,
      }),
    );
  },
  badRequest: (message: string) =>
    new StatusError(statusBody(400, 'BadRequest', message)),
  unauthorized: () =>
    new StatusError(statusBody(401, 'Unauthorized', 'Unauthorized')),
  methodNotSupported: (t: Target, verb: string) =>
    new StatusError(
      statusBody(
        405,
        'MethodNotAllowed',
        `${verb} is not supported on resources of kind "${qualified(t)}"`,
        details(t),
      ),
    ),
  notAcceptableType: (contentType: string) =>
    new StatusError(
      statusBody(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got ${contentType})`,
      ),
    ),
  unsupportedBody: (contentType: string) =>
    new StatusError(
      statusBody(
        415,
        'UnsupportedMediaType',
        // the real server reads protobuf (and CBOR) too; this stand-in JSON and YAML only
        `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${contentType})`,
      ),
    ),
  gone: (message: string) =>
    new StatusError(statusBody(410, 'Expired', message)),
  pageNotFound: () =>
    new StatusError(
      statusBody(
        404,
        'NotFound',
        'the server could not find the requested resource',
      ),
    ),
  internal: (message: string) =>
    new StatusError(statusBody(500, 'InternalError', message)),
};
