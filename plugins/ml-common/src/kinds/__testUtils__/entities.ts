// Test helper: reads the demo and broken-corpus entities from examples/ml.
import { Entity } from '@backstage/catalog-model';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/** Absolute path of the repository's examples/ml directory. */
export const EXAMPLES_ML_DIR = path.resolve(
  __dirname,
  '../../../../../examples/ml',
);

/** The annotation in which broken entities state their expected error. */
export const EXPECTED_ERROR_ANNOTATION = 'test.mlplatform.io/expected-error';

/** All entities of the .yaml files in `dir` (not recursive). */
export function readEntities(dir: string): Entity[] {
  return fs
    .readdirSync(dir)
    .filter(file => file.endsWith('.yaml'))
    .sort()
    .flatMap(file =>
      parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map(
        doc => doc.toJS() as Entity,
      ),
    )
    .filter(Boolean);
}
