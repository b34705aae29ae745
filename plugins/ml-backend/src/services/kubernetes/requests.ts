import {
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  makeValidator,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import {
  CreateNotebookRequest,
  GPU_RESOURCE_PATTERN,
  isQuantity,
  parseQuantity,
} from '@mlplatform/plugin-ml-common';
import type { Request } from 'express';
import { z } from 'zod';
import { NotebookCaller } from './NotebookService';
import { QuotaFilter } from './QuotaService';
import { parseInput } from '../../parseInput';

/*
 * Validation of what callers send about quotas and notebooks, shared by the
 * HTTP routes and the actions so both refuse the same input with the same
 * message.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const DNS1123_SUBDOMAIN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Docker's distribution reference grammar: [host[:port]/]path[:tag][@digest].
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

function quantity(what: string, min: number, max: number, range: string) {
  return z
    .string()
    .max(32)
    .refine(
      isQuantity,
      `${what} must be a Kubernetes quantity such as ${range.split('..')[0]}`,
    )
    .refine(v => {
      const n = parseQuantity(v);
      return n !== undefined && n >= min && n <= max;
    }, `${what} must be between ${range}`);
}

const createNotebookBody = z
  .object({
    name: z
      .string()
      .max(52, 'must be at most 52 characters')
      .regex(
        DNS1123_LABEL,
        'must be a DNS-1123 label (lower-case letters, digits and -)',
      ),
    quota: z.string().min(1).max(512).optional(),
    cluster: z.string().min(1).max(253).optional(),
    namespace: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, 'must be a DNS-1123 label')
      .optional(),
    image: z
      .string()
      .max(512)
      .regex(
        IMAGE_REFERENCE,
        'must be an image reference such as registry.example.com/team/notebook:1.0',
      ),
    cpu: quantity('cpu', 0.1, 64, '100m..64'),
    memory: quantity('memory', 2 ** 27, 2 ** 40, '128Mi..1Ti'),
    gpus: z.number().int('must be a whole number').min(0).max(64),
    gpuResource: z
      .string()
      .regex(
        GPU_RESOURCE_PATTERN,
        'must be nvidia.com/gpu or nvidia.com/mig-<profile>',
      )
      .optional(),
    flavor: z
      .string()
      .max(253)
      .regex(DNS1123_SUBDOMAIN, 'must be a ResourceFlavor name')
      .optional(),
    storage: quantity('storage', 2 ** 30, 2 ** 44, '1Gi..16Ti').optional(),
  })
  .strict();

const notebookParams = z.object({
  cluster: z.string().min(1).max(253),
  namespace: z
    .string()
    .max(63)
    .regex(DNS1123_LABEL, 'must be a DNS-1123 label'),
  name: z.string().max(52).regex(DNS1123_LABEL, 'must be a DNS-1123 label'),
});

const quotasQuery = z
  .object({
    cluster: z.string().min(1).max(253).optional(),
    namespace: z
      .string()
      .max(63)
      .regex(DNS1123_LABEL, 'must be a DNS-1123 label')
      .optional(),
    team: z.string().min(1).max(512).optional(),
  })
  .strict();

/** Parses the body of `POST /notebooks` (and the `create-notebook` action). @internal */
export function parseCreateNotebookRequest(
  input: unknown,
): CreateNotebookRequest {
  return parseInput(createNotebookBody, input, 'notebook');
}

/** Parses `cluster`, `namespace`, `name` of one notebook. @internal */
export function parseNotebookParams(input: unknown) {
  return parseInput(notebookParams, input, 'notebook path');
}

/**
 * Parses the filter of `GET /quotas` (and the quota actions); `team` comes
 * back as a full group ref.
 *
 * @internal
 */
export function parseQuotaFilter(input: unknown): QuotaFilter {
  const filter = parseInput(quotasQuery, input, 'query');
  return {
    ...filter,
    team: filter.team ? normalizeTeam(filter.team) : undefined,
  };
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

const validate = makeValidator();

/** `fraud-team` and `group:fraud-team` both mean `group:default/fraud-team`. */
function normalizeTeam(team: string): string {
  let ref;
  try {
    ref = parseEntityRef(team, {
      defaultKind: 'group',
      defaultNamespace: 'default',
    });
  } catch {
    throw new InputError(`Invalid query: team: not an entity ref: "${team}"`);
  }
  // parseEntityRef splits but does not validate: `group:default/../x` parses.
  if (
    !validate.isValidKind(ref.kind) ||
    !validate.isValidNamespace(ref.namespace) ||
    !validate.isValidEntityName(ref.name)
  ) {
    throw new InputError(
      `Invalid query: team: "${team}" is not a valid entity ref (names are letters, digits and single - _ . between them)`,
    );
  }
  return stringifyEntityRef(ref);
}
