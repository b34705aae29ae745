/*
 * A fresh cluster as the server starts it — quota admission, the built-in
 * controllers, the CRD objects, the system namespaces, then the seed — and
 * the direct writes (KubeApiServer.create/apply) that bypass HTTP.
 */
import { Cluster } from './cluster';
import { clone } from './json';
import { installControllers } from './controllers';
import { installCrdObjects } from './crdObjects';
import { installQuota } from './quota';
import { CrdGroup, RESOURCE_TYPES, splitApiVersion } from './resources';

const SYSTEM_NAMESPACES = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
];

/** A cluster serving `crds`, with its system objects in place. */
export function bootstrapCluster(
  crds: CrdGroup[],
  controllers: boolean,
): Cluster {
  const cluster = new Cluster(crds);
  installQuota(cluster);
  if (controllers) installControllers(cluster);
  installCrdObjects(cluster);
  const nsT = cluster.types.find(t => t.kind === 'Namespace')!;
  for (const ns of SYSTEM_NAMESPACES) {
    cluster.create(nsT, 'v1', undefined, { metadata: { name: ns } });
  }
  return cluster;
}

/**
 * Writes the seed objects. A seed fits clusters with and without an add-on:
 * objects of a custom type whose CRD group is not served are skipped.
 */
export function seedCluster(
  cluster: Cluster,
  crds: CrdGroup[],
  seed: object[],
): void {
  const disabled = RESOURCE_TYPES.filter(t => t.crd && !crds.includes(t.crd));
  const served = (obj: any) =>
    !disabled.some(
      t =>
        t.kind === obj?.kind &&
        t.group === splitApiVersion(obj?.apiVersion ?? '')[0],
    );
  for (const obj of seed) {
    if (served(obj)) writeDirect(cluster, obj, true);
  }
}

function writeWithStatus(cluster: Cluster, obj: any, replace: boolean): any {
  const [t, version] = cluster.typeOf(obj?.apiVersion, obj?.kind);
  const ns = t.namespaced ? obj.metadata?.namespace ?? 'default' : undefined;
  const existing = cluster.store.get(t, ns, obj.metadata?.name);
  let result: any;
  if (existing && replace) {
    const body = clone(obj);
    body.metadata = {
      ...body.metadata,
      resourceVersion: existing.metadata.resourceVersion,
    };
    result = cluster.update(t, version, ns, obj.metadata.name, body).object;
  } else {
    result = cluster.create(t, version, ns, obj, {
      allowResourceVersion: true,
    }).object;
  }
  if (obj.status !== undefined && t.subresources.includes('status')) {
    // fixtures carry the status a controller would have written
    result = cluster.update(
      t,
      version,
      ns,
      result.metadata.name,
      { ...result, status: obj.status },
      { status: true },
    ).object;
  }
  return cluster.present(t, version, result);
}

/**
 * Creates (or with `replace`, creates or replaces) an object without HTTP,
 * still defaulted, validated and admitted, then writes the status it carries.
 * One write, so controllers see the object with its status (a finished Job
 * from a fixture is not started again).
 */
export function writeDirect(
  cluster: Cluster,
  obj: any,
  replace: boolean,
): object {
  return cluster.batch(() => writeWithStatus(cluster, obj, replace));
}
