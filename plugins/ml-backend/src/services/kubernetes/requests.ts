import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  createNotebookRequestSchema,
  gpuQuotasQuerySchema,
  NotebookPath,
  notebookPathSchema,
  ParsedCreateNotebookRequest,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { NotebookCaller } from './NotebookService';
import { QuotaFilter } from './QuotaService';
import { parseInput } from '../../parseInput';

/*
 * What callers send about quotas and notebooks, parsed with ml-common's
 * schemas by the HTTP routes and the actions alike, so both refuse the same
 * input with the same message as the scaffolder and the portal's form.
 */

/**
 * Parses the body of `POST /notebooks` (and the `create-notebook` action),
 * applying the notebook defaults.
 *
 * @internal
 */
export function parseCreateNotebookRequest(
  input: unknown,
): ParsedCreateNotebookRequest {
  return parseInput(createNotebookRequestSchema, input, 'notebook');
}

/** Parses `cluster`, `namespace`, `name` of one notebook. @internal */
export function parseNotebookParams(input: unknown): NotebookPath {
  return parseInput(notebookPathSchema, input, 'notebook path');
}

/**
 * Parses the filter of `GET /quotas` (and the quota actions); `team` comes
 * back as a full group ref.
 *
 * @internal
 */
export function parseQuotaFilter(input: unknown): QuotaFilter {
  return parseInput(gpuQuotasQuerySchema, input, 'query');
}

/**
 * Who is calling, for the notebook service: the user and their groups, as
 * the user-info service reports them for these credentials.
 *
 * @internal
 */
export async function notebookCaller(
  userInfo: UserInfoService,
  credentials: BackstageCredentials<{ type: 'user'; userEntityRef: string }>,
  request?: Request,
): Promise<NotebookCaller> {
  const info = await userInfo.getUserInfo(credentials);
  return {
    userRef: credentials.principal.userEntityRef,
    ownership: info.ownershipEntityRefs,
    credentials,
    ...(request ? { request } : {}),
  };
}
