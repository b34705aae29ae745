import {
  createFormField,
  FormFieldExtensionData,
} from '@backstage/plugin-scaffolder-react/alpha';
import { ModelVersionPicker } from './ModelVersionPicker';

/** The `ModelVersionPicker` form field. */
export const modelVersionPickerField = createFormField({
  name: 'ModelVersionPicker',
  component: ModelVersionPicker as FormFieldExtensionData['component'],
});
