import {
  createFormField,
  FormFieldExtensionData,
} from '@backstage/plugin-scaffolder-react/alpha';
import { GpuQuotaPicker } from './GpuQuotaPicker';
import { GpuPlacement, validatePlacement } from './placement';

/**
 * The `GpuQuotaPicker` form field: the component plus the validation the
 * scaffolder runs on submit (fresh numbers from `GET /api/ml/quotas`).
 */
export const gpuQuotaPickerField = createFormField({
  name: 'GpuQuotaPicker',
  component: GpuQuotaPicker as FormFieldExtensionData['component'],
  validation: async (data, field, context) => {
    const errors = await validatePlacement(
      data as GpuPlacement | undefined,
      context.apiHolder,
    );
    for (const error of errors) field.addError(error);
  },
});
