import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

/**
 * Scaffolder field extension `scaffolder-form-field:ml/gpu-quota-picker`
 * (`ui:field: GpuQuotaPicker`). It attaches to the scaffolder's form-fields
 * API, so templates on any page of the app can use it.
 *
 * @public
 */
export const gpuQuotaPickerFormField = FormFieldBlueprint.make({
  name: 'gpu-quota-picker',
  params: {
    field: () => import('./field').then(m => m.gpuQuotaPickerField),
  },
});
