export * from './constants';
export * from './relations';
export * from './referenceFields';
export * from './ModelEntityV1alpha1';
export * from './DatasetEntityV1alpha1';
export * from './PipelineEntityV1alpha1';
export * from './GpuQuotaEntityV1alpha1';
export * from './defaults';
export * from './modelLike';
export { ML_KIND_SCHEMAS } from './schemas';
export type { MlEntityValidationIssue } from './validation/issues';
export {
  validateMlEntity,
  formatMlEntityIssues,
  describeEntity,
} from './validation/validateMlEntity';
export { validateMlAnnotations } from './validation/rules';
export { ENTITY_REF_PATTERN } from './validation/patterns';
