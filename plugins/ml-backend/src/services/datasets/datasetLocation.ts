/** A Dataset's `spec.location`, as the facts service reads it. @internal */
export type DatasetLocation =
  | { kind: 's3'; bucket: string; prefix: string }
  | { kind: 'pvc'; cluster: string; namespace: string; claim: string }
  | {
      kind: 'feast';
      project: string;
      objectType: 'featureView' | 'featureService';
      name: string;
    }
  /** A location the service reads no facts from; `reason` says why. */
  | { kind: 'none'; reason: string };

// A DNS-1123 label (cluster, namespace) and subdomain (claim): what
// Kubernetes accepts, so nothing else reaches an API path or a PromQL matcher.
const LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
// Feast names: Python identifiers in practice, dashes allowed.
const FEAST_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

const SUPPORTED =
  's3://bucket/prefix, pvc://<cluster>/<namespace>/<claim> and feast://<project>/<feature view>';

/**
 * Parses a Dataset location for its live facts. Anything the service
 * cannot read facts from is `none` with the reason and what would work, so
 * the card can say it; nothing here contacts anything.
 *
 * @internal
 */
export function parseDatasetLocation(location: string): DatasetLocation {
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/.exec(location);
  if (!match) {
    return {
      kind: 'none',
      reason: `spec.location "${location}" is not a URI; live facts are read from ${SUPPORTED}`,
    };
  }
  const [, scheme, rest] = match;
  const segments = rest.split('/');
  switch (scheme) {
    case 's3':
    case 's3a': {
      const [authority, ...path] = segments;
      // No user, port or anything but a bucket name: the endpoint and the
      // credentials come from config only.
      if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(authority)) {
        return {
          kind: 'none',
          reason: `spec.location "${location}": "${authority}" is not an S3 bucket name; write s3://<bucket>/<prefix>`,
        };
      }
      return { kind: 's3', bucket: authority, prefix: path.join('/') };
    }
    case 'pvc': {
      const [cluster, namespace, claim] = segments;
      if (
        segments.length < 3 ||
        !LABEL.test(cluster) ||
        !LABEL.test(namespace) ||
        !SUBDOMAIN.test(claim)
      ) {
        return {
          kind: 'none',
          reason: `spec.location "${location}": live facts of a PVC need its cluster, namespace and claim: pvc://<cluster>/<namespace>/<claim>[/<path>]`,
        };
      }
      return { kind: 'pvc', cluster, namespace, claim };
    }
    case 'feast': {
      // What the catalog's Feast provider writes: feast://<project>/<view>
      // and feast://<project>/feature-services/<service>.
      const service =
        segments.length === 3 && segments[1] === 'feature-services';
      const [project, name] = service ? [segments[0], segments[2]] : segments;
      if (
        (segments.length !== 2 && !service) ||
        !FEAST_NAME.test(project) ||
        !FEAST_NAME.test(name)
      ) {
        return {
          kind: 'none',
          reason: `spec.location "${location}": live facts of Feast are read for feast://<project>/<feature view> and feast://<project>/feature-services/<service>`,
        };
      }
      return {
        kind: 'feast',
        project,
        objectType: service ? 'featureService' : 'featureView',
        name,
      };
    }
    default:
      return {
        kind: 'none',
        reason: `no live facts for ${scheme}:// locations; they are read from ${SUPPORTED}`,
      };
  }
}
