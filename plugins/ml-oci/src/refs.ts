import { InputError } from '@backstage/errors';

/**
 * A model repository in an OCI registry, parsed from
 * `oci://host[:port]/repository`.
 *
 * @public
 */
export interface OciModelRef {
  /** `host[:port]`, lower case, as in `URL.host`. */
  host: string;
  /** Repository path, e.g. `models/fraud-detector`. */
  repository: string;
}

// The distribution spec's path component grammar.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

function invalid(ref: string, why: string): never {
  throw new InputError(`Invalid registry ref "${ref}": ${why}`);
}

/**
 * Checks a repository path against the distribution spec and throws an
 * `InputError` saying which part is wrong: `..` and empty segments (path
 * traversal), upper case, characters outside `[a-z0-9._-]`.
 *
 * @public
 */
export function validateOciRepository(repository: string, ref = repository) {
  if (repository.length === 0) invalid(ref, 'the repository path is empty');
  if (repository.length > 255) {
    invalid(ref, 'the repository path is longer than 255 characters');
  }
  for (const part of repository.split('/')) {
    if (part === '' || part === '.' || part === '..') {
      invalid(
        ref,
        `the repository path may not contain empty, "." or ".." segments`,
      );
    }
    if (part !== part.toLowerCase()) {
      invalid(ref, `the repository path must be lower case ("${part}")`);
    }
    if (!COMPONENT.test(part)) {
      invalid(
        ref,
        `"${part}" is not a valid repository path component (lower-case letters and digits, separated by . _ __ or -)`,
      );
    }
  }
}

/**
 * Parses `oci://host[:port]/repository`. Throws an `InputError` naming what
 * is wrong.
 *
 * @public
 */
export function parseOciModelRef(ref: string): OciModelRef {
  const match = /^oci:\/\/([^/]*)\/(.*)$/.exec(ref);
  if (!match) invalid(ref, 'expected oci://host[:port]/repository');
  const [, host, repository] = match;
  if (!HOST.test(host)) invalid(ref, `"${host}" is not a host[:port]`);
  if (/[?#@\s\\]/.test(repository)) {
    invalid(ref, 'the repository path may not contain ? # @ \\ or spaces');
  }
  validateOciRepository(repository, ref);
  return { host: host.toLowerCase(), repository };
}

/**
 * Checks a tag (a version like `v3` or an alias like `production`); throws an
 * `InputError`.
 *
 * @public
 */
export function validateOciTag(tag: string, what = 'tag'): void {
  if (!TAG.test(tag)) {
    throw new InputError(
      `Invalid ${what} "${tag}": must be 1-128 letters, digits, _ . or -, not starting with . or -`,
    );
  }
}

/** True for a `sha256:<64 hex>` digest. @public */
export function isOciDigest(value: string): boolean {
  return DIGEST.test(value);
}
