import fs from 'node:fs';
import path from 'node:path';

/**
 * A server binary that comes from a Debian package.
 *
 * @public
 */
export interface BinarySpec {
  /** Human readable name used in messages, e.g. `prometheus`. */
  name: string;
  /** Debian package that provides the binary, used in install hints. */
  aptPackage: string;
  /**
   * File names (looked up on PATH) or absolute paths to try, in order.
   * Defaults to `[name]`.
   */
  candidates?: string[];
  /** What to run when the binary is missing, for binaries not from Debian. */
  installHint?: string;
}

/**
 * Binaries the helpers of this package need. Upstream release names
 * (`alertmanager`, `registry`) are accepted after the Debian names so the
 * helpers also work with tarball installs.
 *
 * @public
 */
export const serverBinaries = {
  prometheus: { name: 'prometheus', aptPackage: 'prometheus' },
  promtool: { name: 'promtool', aptPackage: 'prometheus' },
  alertmanager: {
    name: 'prometheus-alertmanager',
    aptPackage: 'prometheus-alertmanager',
    candidates: ['prometheus-alertmanager', 'alertmanager'],
  },
  registry: {
    name: 'docker-registry',
    aptPackage: 'docker-registry',
    candidates: ['docker-registry', 'registry'],
  },
  get initdb(): BinarySpec {
    return postgresBinary('initdb');
  },
  get postgres(): BinarySpec {
    return postgresBinary('postgres');
  },
} satisfies Record<string, BinarySpec>;

// Debian keeps the PostgreSQL server binaries off PATH, in a versioned
// directory; prefer the newest installed major version.
function postgresBinary(file: string): BinarySpec {
  const override = process.env.PG_BIN_DIR;
  const candidates: string[] = [];
  if (override) candidates.push(path.join(override, file));
  const root = '/usr/lib/postgresql';
  try {
    const versions = fs
      .readdirSync(root)
      .filter(v => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const v of versions) candidates.push(path.join(root, v, 'bin', file));
  } catch {
    // No Debian PostgreSQL layout; fall back to PATH below.
  }
  candidates.push(file);
  return { name: file, aptPackage: 'postgresql', candidates };
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves a binary to an absolute path, or returns undefined if missing.
 *
 * @public
 */
export function findBinary(spec: BinarySpec | string): string | undefined {
  const s = typeof spec === 'string' ? { name: spec, aptPackage: spec } : spec;
  // /usr/sbin is searched too because some Debian server packages install
  // there and non-login shells in CI often lack it on PATH.
  const dirs = [
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    '/usr/sbin',
    '/sbin',
  ];
  for (const candidate of s.candidates ?? [s.name]) {
    if (path.isAbsolute(candidate)) {
      if (isExecutable(candidate)) return candidate;
      continue;
    }
    for (const dir of dirs) {
      const full = path.join(dir, candidate);
      if (isExecutable(full)) return full;
    }
  }
  return undefined;
}

/**
 * True when the `CI` environment variable is set to something truthy.
 *
 * @public
 */
export function isCI(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}

function installCommand(specs: BinarySpec[]): string {
  const hints = [
    ...new Set(specs.filter(s => s.installHint).map(s => s.installHint)),
  ];
  const packages = [
    ...new Set(specs.filter(s => !s.installHint).map(s => s.aptPackage)),
  ];
  if (packages.length) {
    hints.unshift(
      `apt-get install --no-install-recommends ${packages.join(' ')}`,
    );
  }
  return hints.join('; ');
}

/**
 * Error thrown when a required server binary is not installed.
 *
 * @public
 */
export class MissingBinaryError extends Error {
  constructor(readonly spec: BinarySpec) {
    super(
      `Required binary '${spec.name}' was not found (tried ${(
        spec.candidates ?? [spec.name]
      ).join(', ')}). Install it with: ${installCommand([spec])}`,
    );
    this.name = 'MissingBinaryError';
  }
}

/**
 * Resolves a binary or throws a {@link MissingBinaryError} naming the apt
 * package to install.
 *
 * @public
 */
export function requireBinary(
  spec: BinarySpec | string,
  aptPackage?: string,
): string {
  const s =
    typeof spec === 'string'
      ? { name: spec, aptPackage: aptPackage ?? spec }
      : spec;
  const found = findBinary(s);
  if (!found) throw new MissingBinaryError(s);
  return found;
}

/**
 * Returns jest's `describe` when all binaries exist. When one is missing it
 * throws inside CI (so a misconfigured CI machine fails loudly instead of
 * silently skipping) and returns `describe.skip` with a console warning
 * elsewhere (so developers without the Debian packages can still run tests).
 *
 * @public
 */
export function describeIfBinary(
  specs: BinarySpec | string | Array<BinarySpec | string>,
  aptPackage?: string,
): jest.Describe {
  const list = Array.isArray(specs) ? specs : [specs];
  const missing = list
    .map(s =>
      typeof s === 'string' ? { name: s, aptPackage: aptPackage ?? s } : s,
    )
    .filter(s => !findBinary(s));
  if (missing.length === 0) return describe;
  const message = `Missing ${missing
    .map(s => s.name)
    .join(', ')}; install with: ${installCommand(missing)}`;
  if (isCI()) {
    throw new Error(`${message} (CI is set, so these tests are not skipped)`);
  }
  // eslint-disable-next-line no-console
  console.warn(`Skipping tests that need real servers. ${message}`);
  return describe.skip;
}
