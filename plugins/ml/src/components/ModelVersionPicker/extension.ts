import { FormFieldBlueprint } from '@backstage/plugin-scaffolder-react/alpha';

/**
 * Scaffolder field extension `scaffolder-form-field:ml/model-version-picker`
 * (`ui:field: ModelVersionPicker`).
 *
 * @public
 */
export const modelVersionPickerFormField = FormFieldBlueprint.make({
  name: 'model-version-picker',
  params: {
    field: () => import('./field').then(m => m.modelVersionPickerField),
  },
});
