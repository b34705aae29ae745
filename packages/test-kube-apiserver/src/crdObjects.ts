/*
 * The CustomResourceDefinition objects of the served custom types, as an
 * apiextensions server would hold them once established (read-only over
 * HTTP: kubectl reads their printer columns and schemas).
 */
import { randomUUID } from 'node:crypto';
import { Cluster } from './cluster';
import { crdObject } from './crds';

/** Puts the CustomResourceDefinitions of the served custom types into the store (read-only over HTTP). */
export function installCrdObjects(cluster: Cluster): void {
  const crdT = cluster.types.find(t => t.kind === 'CustomResourceDefinition')!;
  for (const t of cluster.types.filter(x => x.crd)) {
    const vendored = crdObject(t);
    const name = `${t.plural}.${t.group}`;
    const rv = cluster.store.nextResourceVersion();
    const versions = t.versions.map((v, i) => {
      const src = vendored?.spec?.versions?.find((x: any) => x.name === v);
      return {
        name: v,
        served: true,
        storage: i === 0,
        ...(src?.schema ? { schema: src.schema } : {}),
        ...(t.subresources.includes('status')
          ? { subresources: { status: {} } }
          : {}),
        ...(src?.additionalPrinterColumns
          ? { additionalPrinterColumns: src.additionalPrinterColumns }
          : {}),
      };
    });
    const names = {
      plural: t.plural,
      singular: t.singular,
      kind: t.kind,
      listKind: `${t.kind}List`,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    };
    const ts = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    cluster.store.put(
      crdT,
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: {
          name,
          uid: randomUUID(),
          resourceVersion: String(rv),
          generation: 1,
          creationTimestamp: ts,
          ...(vendored?.metadata?.annotations
            ? { annotations: vendored.metadata.annotations }
            : {}),
        },
        spec: {
          group: t.group,
          names,
          scope: t.namespaced ? 'Namespaced' : 'Cluster',
          versions,
          conversion: { strategy: 'None' },
        },
        status: {
          conditions: [
            {
              type: 'NamesAccepted',
              status: 'True',
              lastTransitionTime: ts,
              reason: 'NoConflicts',
              message: 'no conflicts found',
            },
            {
              type: 'Established',
              status: 'True',
              lastTransitionTime: ts,
              reason: 'InitialNamesAccepted',
              message: 'the initial names have been accepted',
            },
          ],
          acceptedNames: names,
          storedVersions: [t.versions[0]],
        },
      },
      'ADDED',
    );
  }
}
