import { parseAllDocuments } from 'yaml';

/**
 * Parses multi-document YAML (as `kubectl apply -f` reads it) into objects;
 * empty documents are skipped and `kind: List` is flattened.
 *
 * @public
 */
export function loadManifests(yamlText: string): object[] {
  const out: object[] = [];
  for (const doc of parseAllDocuments(yamlText)) {
    if (doc.errors.length) {
      throw new Error(`invalid YAML: ${doc.errors[0].message}`);
    }
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) {
      throw new Error(
        `a manifest document must be an object, got ${JSON.stringify(value)}`,
      );
    }
    if (value.kind === 'List' && Array.isArray(value.items))
      out.push(...value.items);
    else out.push(value);
  }
  return out;
}
