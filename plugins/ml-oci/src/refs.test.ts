import { InputError } from '@backstage/errors';
import { parseOciModelRef, validateOciTag } from './refs';

describe('parseOciModelRef', () => {
  it('parses host, port and nested repository paths', () => {
    expect(
      parseOciModelRef('oci://Registry.Example.com:5000/models/fraud/detector'),
    ).toEqual({
      host: 'registry.example.com:5000',
      repository: 'models/fraud/detector',
    });
    expect(parseOciModelRef('oci://localhost/a__b.c-d')).toEqual({
      host: 'localhost',
      repository: 'a__b.c-d',
    });
  });

  it.each([
    ['oci://h/models/../etc', /"\.\." segments/],
    ['oci://h/./x', /"\.\." segments/],
    ['oci://h/a//b', /empty/],
    ['oci://h/a/', /empty/],
    ['oci://h/Fraud', /must be lower case/],
    ['oci://h/a_-b', /not a valid repository path component/],
    ['oci://h/a%2e%2e', /not a valid repository path component/],
    ['oci://h/a#b', /may not contain/],
    ['oci://h:99999999/a', /is not a host\[:port\]/],
    ['oci://user:pw@h/a', /is not a host\[:port\]/],
    ['https://h/a', /expected oci:\/\/host/],
    [`oci://h/${'a'.repeat(256)}`, /longer than 255/],
  ])('refuses %s', (ref, message) => {
    expect(() => parseOciModelRef(ref)).toThrow(message);
    expect(() => parseOciModelRef(ref)).toThrow(InputError);
  });
});

describe('validateOciTag', () => {
  it('accepts OCI tags and refuses the rest', () => {
    expect(() => validateOciTag('production')).not.toThrow();
    expect(() => validateOciTag('v1.2.3-rc_1')).not.toThrow();
    expect(() => validateOciTag('.hidden')).toThrow(/Invalid tag ".hidden"/);
    expect(() => validateOciTag('a/b', 'alias')).toThrow(
      /Invalid alias "a\/b"/,
    );
    expect(() => validateOciTag('x'.repeat(129))).toThrow(/1-128/);
  });
});
