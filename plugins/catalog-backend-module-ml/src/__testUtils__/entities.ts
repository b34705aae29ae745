// Test helper: reads the demo and broken-corpus entities from examples/.
import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Absolute path of the repository's examples directory. */
export const EXAMPLES_DIR = path.resolve(__dirname, '../../../../examples');
export const ML_DIR = path.join(EXAMPLES_DIR, 'ml');
export const BROKEN_DIR = path.join(ML_DIR, 'broken');

/** The annotation in which broken entities state their expected error. */
export const EXPECTED_ERROR_ANNOTATION = 'test.mlplatform.io/expected-error';

/** The .yaml files directly in `dir`, as absolute paths. */
export function yamlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter(file => file.endsWith('.yaml'))
    .sort()
    .map(file => path.join(dir, file));
}

/** All entities of the given YAML files. */
export function readEntities(files: string[]): Entity[] {
  return files.flatMap(file =>
    parseAllDocuments(fs.readFileSync(file, 'utf8'))
      .map(doc => doc.toJS() as Entity)
      .filter(Boolean),
  );
}

/** Whether a broken-corpus entity must be rejected (else it must be ingested). */
export function expectedError(entity: Entity): string | undefined {
  return entity.metadata.annotations?.[EXPECTED_ERROR_ANNOTATION];
}
