import {
  HttpAuthService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { GPU_RESOURCE_PATTERN } from '@mlplatform/plugin-ml-common';
import express from 'express';
import Router from 'express-promise-router';
import { z } from 'zod';
import {
  NotebookCaller,
  NotebookService,
} from '../services/kubernetes/NotebookService';
import { QuotaService } from '../services/kubernetes/QuotaService';
import { isQuantity, parseQuantity } from '@mlplatform/plugin-ml-common';

/** @internal */
export interface KubernetesRouterOptions {
  httpAuth: HttpAuthService;
  userInfo: UserInfoService;
  quotaService: QuotaService;
  notebookService: NotebookService;
}

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

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issues = result.error.issues
      .map(i => `${i.path.join('.') || what}: ${i.message}`)
      .join('; ');
    throw new InputError(`Invalid ${what}: ${issues}`);
  }
  return result.data;
}

/**
 * GPU quotas (`GET /quotas`) and notebooks (`/notebooks`, create / list /
 * stop / start / delete) on the configured Kubernetes clusters.
 *
 * @internal
 */
export async function createKubernetesRouter(
  options: KubernetesRouterOptions,
): Promise<express.Router> {
  const { httpAuth, userInfo, quotaService, notebookService } = options;
  const router = Router();
  router.use(express.json());

  async function caller(req: express.Request): Promise<NotebookCaller> {
    const credentials = await httpAuth.credentials(req, { allow: ['user'] });
    const info = await userInfo.getUserInfo(credentials);
    return {
      userRef: credentials.principal.userEntityRef,
      ownership: info.ownershipEntityRefs,
      credentials,
      request: req,
    };
  }

  router.get('/quotas', async (req, res) => {
    await httpAuth.credentials(req, { allow: ['user', 'service'] });
    const filter = parse(quotasQuery, req.query, 'query');
    const team = filter.team ? normalizeTeam(filter.team) : undefined;
    res.json(await quotaService.getQuotas({ ...filter, team }));
  });

  router.get('/notebooks', async (req, res) => {
    res.json(await notebookService.list(await caller(req)));
  });

  router.post('/notebooks', async (req, res) => {
    const who = await caller(req);
    const body = parse(createNotebookBody, req.body, 'notebook');
    res.status(201).json(await notebookService.create(body, who));
  });

  router.post(
    '/notebooks/:cluster/:namespace/:name/:action',
    async (req, res) => {
      const who = await caller(req);
      const { cluster, namespace, name } = parse(
        notebookParams,
        req.params,
        'notebook path',
      );
      const action = req.params.action;
      if (action === 'stop') {
        await notebookService.stop(cluster, namespace, name, who);
      } else if (action === 'start') {
        await notebookService.start(cluster, namespace, name, who);
      } else {
        throw new InputError(
          `Invalid notebook action "${action}"; expected stop or start`,
        );
      }
      res.status(204).end();
    },
  );

  router.delete('/notebooks/:cluster/:namespace/:name', async (req, res) => {
    const who = await caller(req);
    const { cluster, namespace, name } = parse(
      notebookParams,
      req.params,
      'notebook path',
    );
    await notebookService.delete(cluster, namespace, name, who);
    res.status(204).end();
  });

  return router;
}

/** `fraud-team` and `group:fraud-team` both mean `group:default/fraud-team`. */
function normalizeTeam(team: string): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(team, {
        defaultKind: 'group',
        defaultNamespace: 'default',
      }),
    );
  } catch {
    throw new InputError(`Invalid query: team: not an entity ref: "${team}"`);
  }
}
