/*
 * Fault injection (KubeApiServer.setFault): a delay and/or an error Status
 * for every matching request, before authentication, as a failing or slow
 * apiserver or proxy in front of it would answer.
 */
import { ServerResponse } from 'node:http';
import { KubeFault } from '../api';
import { statusBody } from '../status';
import { send } from './wire';

const FAULT_REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/**
 * Applies `fault` to a request; true when the request has been answered (or
 * its client went away during the delay) and must not be handled further.
 */
export async function injectFault(
  fault: KubeFault | null,
  res: ServerResponse,
  request: { method: string; path: string },
): Promise<boolean> {
  if (!fault || (fault.match && !fault.match(request))) return false;
  if (fault.delayMs) {
    const delayMs = fault.delayMs;
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, delayMs);
      res.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (res.destroyed || res.writableEnded) return true;
  }
  if (fault.status) {
    const reason = FAULT_REASONS[fault.status] ?? 'InternalError';
    send(
      res,
      fault.status,
      statusBody(fault.status, reason, `injected fault: ${reason}`),
    );
    return true;
  }
  return false;
}
