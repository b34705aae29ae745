/**
 * Scaffolder actions of the ML platform (`ml:*`).
 *
 * @packageDocumentation
 */

export { scaffolderModuleMl as default } from './module';
export { createWriteEntitiesAction } from './actions/writeEntities';
export type { WriteEntitiesActionOptions } from './actions/writeEntities';
