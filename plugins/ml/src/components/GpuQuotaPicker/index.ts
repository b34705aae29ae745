export { GpuQuotaPicker } from './GpuQuotaPicker';
export type { GpuPlacement } from './placement';
export { validatePlacement } from './placement';
export { gpuQuotaPickerFormField } from './extension';
