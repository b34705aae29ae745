/*
 * What every resource handler gets: the parsed route, the caller, the
 * query options all writes share (dryRun, fieldValidation) and how objects
 * of the requested version are presented.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Cluster } from '../cluster';
import { ResourceType } from '../resources';
import { Target, errors } from '../status';
import { FieldValidation } from '../validation';
import { KubeRequestRecord } from '../api';
import { TokenUser } from './auth';
import { Route } from './route';

/** One request for resources, resolved. */
export interface ResourceRequest {
  cluster: Cluster;
  req: IncomingMessage;
  res: ServerResponse;
  route: Route;
  type: ResourceType;
  query: Record<string, string>;
  accept: string;
  /** Its entry in the request log (handlers settle the verb). */
  record: KubeRequestRecord;
  user: TokenUser;
  /** Open watch responses, ended when the server stops. */
  watches: Set<ServerResponse>;
  /** The object as the requested version shows it on the wire. */
  present(o: any): any;
  dryRun: boolean;
  fieldValidation: FieldValidation;
  /** What Status errors about this request name. */
  target: Target;
}

/** Resolves the options of a resource request; an unknown fieldValidation is a 400. */
export function resourceRequest(
  base: Omit<
    ResourceRequest,
    'type' | 'present' | 'dryRun' | 'fieldValidation' | 'target'
  >,
): ResourceRequest {
  const { cluster, route: r, query } = base;
  const t = r.type;
  const fieldValidation = (query.fieldValidation ?? 'Warn') as FieldValidation;
  if (!['Strict', 'Warn', 'Ignore'].includes(fieldValidation)) {
    throw errors.badRequest(
      `fieldValidation invalid value: ${fieldValidation}, valid values are: Strict, Warn, Ignore`,
    );
  }
  return {
    ...base,
    type: t,
    present: (o: any) => cluster.presentForWire(t, r.version, o),
    dryRun: query.dryRun === 'All',
    fieldValidation,
    target: { group: t.group, resource: t.plural, name: r.name },
  };
}
