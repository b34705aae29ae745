import { ML_KINDS, isMlKind } from './constants';

describe('isMlKind', () => {
  it('recognises the four ML kinds regardless of case', () => {
    expect(ML_KINDS).toEqual(['Model', 'Dataset', 'Pipeline', 'GpuQuota']);
    expect(isMlKind('model')).toBe(true);
    expect(isMlKind('GPUQUOTA')).toBe(true);
  });

  it('rejects built-in kinds', () => {
    expect(isMlKind('Component')).toBe(false);
    expect(isMlKind('Resource')).toBe(false);
  });
});
