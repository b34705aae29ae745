import {
  createFormField,
  FormFieldExtensionData,
} from '@backstage/plugin-scaffolder-react/alpha';
import { GpuQuotaPicker } from './GpuQuotaPicker';
import { GpuPlacement, validatePlacement } from './placement';

/**
 * The `GpuQuotaPicker` form field: the component plus the validation the
 * scaffolder runs on submit (fresh numbers from `GET /api/ml/quotas`). With
 * `ui:options.replicasFields: { min, max }` naming the form's replica fields,
 * the GPUs are per replica and GPUs × the maximum must fit.
 */
export const gpuQuotaPickerField = createFormField({
  name: 'GpuQuotaPicker',
  component: GpuQuotaPicker as FormFieldExtensionData['component'],
  validation: async (data, field, context) => {
    const names = (context.uiSchema?.['ui:options'] as any)?.replicasFields;
    const errors = await validatePlacement(
      data as GpuPlacement | undefined,
      context.apiHolder,
      names
        ? {
            minReplicas: context.formData?.[names.min],
            maxReplicas: context.formData?.[names.max],
          }
        : undefined,
    );
    for (const error of errors) field.addError(error);
  },
});
