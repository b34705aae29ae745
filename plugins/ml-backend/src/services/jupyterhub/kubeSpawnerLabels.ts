import { createHash } from 'node:crypto';

/*
 * The labels KubeSpawner (7.x, kubespawner/spawner.py `_build_pod_labels`)
 * puts on a named server's pod: `component` and `app.kubernetes.io/component`
 * = `singleuser-server` (its `component_label`), `hub.jupyter.org/username`
 * and `hub.jupyter.org/servername` = `safe_slug(name, is_valid_label)`
 * (kubespawner/slugs.py). The DCGM exporter copies a GPU pod's labels onto
 * its series with `--kubernetes-enable-pod-labels`, each name with every
 * character outside [a-zA-Z0-9_] replaced by `_` (dcgm-exporter
 * internal/pkg/utils SanitizeLabelName), which gives the names below.
 */

/** The DCGM series label of a pod's `hub.jupyter.org/username`. @internal */
export const DCGM_HUB_USER_LABEL = 'hub_jupyter_org_username';
/** The DCGM series label of a pod's `hub.jupyter.org/servername`. @internal */
export const DCGM_HUB_SERVER_LABEL = 'hub_jupyter_org_servername';
/** The DCGM series label of a pod's `component`, and KubeSpawner's value. @internal */
export const DCGM_COMPONENT_LABEL = 'component';
/** @internal */
export const KUBESPAWNER_COMPONENT = 'singleuser-server';

const HASH_LENGTH = 8;

function isValidLabelValue(s: string): boolean {
  if (!s) return true;
  return (
    s.length <= 63 &&
    /^[a-z0-9.\-_]+$/i.test(s) &&
    /^[a-z0-9]/i.test(s) &&
    /[a-z0-9]$/i.test(s)
  );
}

function extractSafeName(name: string, maxLength: number): string {
  let safe = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  safe = safe.replace(/^-+/, '').slice(0, maxLength).replace(/-+$/, '');
  if (safe && !/^[a-z]/.test(safe)) safe = `x-${safe.slice(0, maxLength - 2)}`;
  return safe || 'x';
}

function stripAndHash(name: string, maxLength = 32): string {
  const hash = createHash('sha256')
    .update(name, 'utf8')
    .digest('hex')
    .slice(0, HASH_LENGTH);
  return `${extractSafeName(name, maxLength - (HASH_LENGTH + 3))}---${hash}`;
}

/**
 * KubeSpawner's label value for a user or server name
 * (`safe_slug(name, is_valid=is_valid_label)`): the name when it is a valid
 * label value without `--`, else a stripped name with a hash suffix.
 *
 * @internal
 */
export function kubeSpawnerLabelValue(name: string): string {
  if (name.includes('--') || !isValidLabelValue(name)) {
    return stripAndHash(name);
  }
  return name;
}
