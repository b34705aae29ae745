import {
  describeIfBinary,
  findBinary,
  MissingBinaryError,
  requireBinary,
} from './binaries';

const missing = { name: 'no-such-server-xyz', aptPackage: 'no-such-package' };

describe('binaries', () => {
  const originalCI = process.env.CI;
  afterEach(() => {
    if (originalCI === undefined) delete process.env.CI;
    else process.env.CI = originalCI;
  });

  it('finds binaries on PATH and reports missing ones', () => {
    expect(findBinary('sh')).toMatch(/\/sh$/);
    expect(findBinary(missing)).toBeUndefined();
    expect(() => requireBinary(missing)).toThrow(MissingBinaryError);
    expect(() => requireBinary(missing)).toThrow(
      'apt-get install --no-install-recommends no-such-package',
    );
  });

  it('fails in CI and skips elsewhere when a binary is missing', () => {
    process.env.CI = 'true';
    expect(() => describeIfBinary(missing)).toThrow(
      /no-such-package.*CI is set/,
    );

    delete process.env.CI;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => {});
    expect(describeIfBinary(missing)).toBe(describe.skip);
    expect(warn).toHaveBeenCalledWith(
      expect.stringContaining('no-such-package'),
    );
    warn.mockRestore();

    expect(describeIfBinary('sh')).toBe(describe);
  });
});
