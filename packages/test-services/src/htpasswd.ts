import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { findBinary } from './binaries';

// bcrypt's own base64 alphabet; same bit layout as standard base64.
const STD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BCRYPT =
  './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function bcryptSalt(): string {
  // 16 random bytes encode to exactly 22 characters with the unused low
  // bits of the last character zero, which strict implementations require.
  return crypto
    .randomBytes(16)
    .toString('base64')
    .replace(/=+$/, '')
    .replace(/./g, c => BCRYPT[STD.indexOf(c)]);
}

function viaPerl(perl: string, password: string, cost: number) {
  // Perl's crypt() is the system libcrypt; on Debian that is libxcrypt,
  // which supports bcrypt ($2b$). perl-base is an Essential package, so
  // this works on any Debian machine without extra installs. The password
  // travels in the environment, not argv, to avoid any quoting issues.
  const salt = `$2b$${String(cost).padStart(2, '0')}$${bcryptSalt()}`;
  return execFileSync(perl, ['-e', 'print crypt($ENV{PW}, $ENV{SALT}) // ""'], {
    env: { PATH: process.env.PATH, PW: password, SALT: salt },
    encoding: 'utf8',
  });
}

function viaHtpasswd(htpasswd: string, password: string, cost: number) {
  // -n prints instead of writing a file, -B bcrypt, -i reads stdin.
  const line = execFileSync(
    htpasswd,
    ['-n', '-i', '-B', '-C', String(cost), 'user'],
    {
      input: password,
      encoding: 'utf8',
    },
  );
  return line.trim().split(':').slice(1).join(':');
}

/**
 * Hashes a password with bcrypt, the only scheme the Distribution registry
 * accepts in htpasswd files. Uses `perl` (system libcrypt) and falls back to
 * `htpasswd` from apache2-utils; no npm dependency needed.
 *
 * @public
 */
export function bcryptHash(password: string, cost = 5): string {
  const attempts: string[] = [];
  const perl = findBinary('perl');
  if (perl) {
    try {
      const hash = viaPerl(perl, password, cost);
      if (/^\$2[aby]\$/.test(hash)) return hash;
      attempts.push(
        `perl crypt() returned '${hash}' (libcrypt without bcrypt?)`,
      );
    } catch (error: any) {
      attempts.push(`perl failed: ${error.message}`);
    }
  } else {
    attempts.push('perl not found');
  }
  const htpasswd = findBinary('htpasswd');
  if (htpasswd) {
    const hash = viaHtpasswd(htpasswd, password, cost);
    if (/^\$2[aby]\$/.test(hash)) return hash;
    attempts.push(`htpasswd returned '${hash}'`);
  } else {
    attempts.push('htpasswd not found');
  }
  throw new Error(
    `Cannot create a bcrypt hash for the registry's htpasswd file ` +
      `(${attempts.join('; ')}). Install one with: ` +
      `apt-get install --no-install-recommends apache2-utils`,
  );
}

/**
 * One `user:bcrypt-hash` line for an htpasswd file.
 *
 * @public
 */
export function htpasswdLine(username: string, password: string): string {
  if (username.includes(':'))
    throw new Error('htpasswd usernames cannot contain ":"');
  return `${username}:${bcryptHash(password)}\n`;
}
