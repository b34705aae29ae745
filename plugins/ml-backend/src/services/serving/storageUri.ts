/**
 * The storage URI of `version`: the current URI with its version replaced
 * when it ends with it (`…:v2` → `…:v3`, `models:/x/2` → `models:/x/3`),
 * else built from the registry ref (`oci://host/repo` → `oci://host/repo:v3`,
 * `mlflow://[registry/]x` → `models:/x/3`).
 *
 * @internal
 */
export function storageUriFor(
  currentUri: string | undefined,
  currentVersion: string | undefined,
  registryRef: string,
  version: string,
): string {
  if (currentUri && currentVersion) {
    for (const sep of [':', '/']) {
      if (currentUri.endsWith(`${sep}${currentVersion}`)) {
        return `${currentUri.slice(0, -currentVersion.length)}${version}`;
      }
    }
  }
  if (registryRef.startsWith('mlflow://')) {
    const name = registryRef.slice('mlflow://'.length).split('/').pop();
    return `models:/${name}/${version}`;
  }
  return `${registryRef.replace(/:[^/:]*$/, '')}:${version}`;
}
