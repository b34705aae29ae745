import { Entity } from '@backstage/catalog-model';
import { ML_API_VERSION, ML_KINDS } from '@mlplatform/plugin-ml-common';

/**
 * How the processor treats an entity:
 * - `ml`: an ML kind in the ML apiVersion; validated and given relations.
 * - `misdeclared`: clearly meant as an ML kind but declared wrongly (another
 *   mlplatform.io version, a copied backstage.io apiVersion, a kind in the
 *   wrong case); rejected with a message saying what to write.
 * - `other`: not ours. Kinds of other groups may share a name (some other
 *   plugin's `Model`), so they are left to whoever claims them.
 */
export type MlClassification = 'ml' | 'misdeclared' | 'other';

// Read once: the catalog classifies every entity it processes, three times.
const API_VERSION: string = ML_API_VERSION;
const KINDS: ReadonlySet<string> = new Set(ML_KINDS);
const KINDS_LOWER: ReadonlySet<string> = new Set(
  ML_KINDS.map(k => k.toLocaleLowerCase('en-US')),
);

export function classifyEntity(entity: Entity): MlClassification {
  const kind = typeof entity.kind === 'string' ? entity.kind : '';
  const apiVersion =
    typeof entity.apiVersion === 'string' ? entity.apiVersion : '';
  if (apiVersion === API_VERSION && KINDS.has(kind)) return 'ml';
  if (!KINDS_LOWER.has(kind.toLocaleLowerCase('en-US'))) return 'other';
  if (apiVersion === API_VERSION) return 'misdeclared';
  const group = apiVersion.split('/')[0];
  return group === 'mlplatform.io' || group === 'backstage.io'
    ? 'misdeclared'
    : 'other';
}
