import { ServiceUnavailableError } from '@backstage/errors';
import express from 'express';

// Errors that mean "the database is not there right now", not "the query is
// wrong": refused or cut connections, PostgreSQL shutting down or starting
// up (SQLSTATE class 08 and 57P01-57P03), and knex giving up on its pool.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01',
  '57P02',
  '57P03',
]);

/** True when `error` says the database cannot be reached. @internal */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; name?: unknown; message?: unknown };
  if (!e || typeof e !== 'object') return false;
  const code = typeof e.code === 'string' ? e.code : '';
  return (
    CONNECTION_CODES.has(code) ||
    code.startsWith('08') ||
    e.name === 'KnexTimeoutError' ||
    /Connection terminated|Connection ended unexpectedly/.test(
      String(e.message),
    )
  );
}

/**
 * Express error middleware for the ML backend's routers: a database outage
 * becomes a 503 that says so (the caller may retry), instead of a bare 500;
 * every other error passes through unchanged. The pool reconnects by itself
 * when the database returns.
 *
 * @internal
 */
export const databaseUnavailableErrors: express.ErrorRequestHandler = (
  error,
  _req,
  _res,
  next,
) => {
  if (!isDatabaseUnavailable(error)) {
    next(error);
    return;
  }
  next(
    new ServiceUnavailableError(
      `The ML backend's database is unavailable (${error.code ?? error.name}: ${
        error.message
      }); try again shortly`,
    ),
  );
};
