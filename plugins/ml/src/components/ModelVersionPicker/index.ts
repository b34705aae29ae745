export { ModelVersionPicker } from './ModelVersionPicker';
export { modelVersionPickerFormField } from './extension';
