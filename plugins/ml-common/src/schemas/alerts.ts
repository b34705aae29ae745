import { z } from 'zod';

const labelSet = z.record(z.string(), z.string());

/**
 * Alertmanager's webhook payload, version 4, as `POST /api/ml/alerts/webhook`
 * takes it (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
 * Unknown fields are allowed: Alertmanager adds some (`truncatedAlerts`).
 *
 * @public
 */
export const alertmanagerWebhookSchema = z.object({
  version: z.literal('4'),
  groupKey: z.string(),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string(),
  groupLabels: labelSet,
  commonLabels: labelSet,
  commonAnnotations: labelSet,
  externalURL: z.string(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved']),
        labels: labelSet,
        annotations: labelSet.optional().default({}),
        startsAt: z.string().min(1).max(64),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z.string().regex(/^[0-9a-zA-Z]{1,64}$/),
      }),
    )
    .max(1000),
});

/** Alertmanager's webhook payload, parsed. @public */
export type AlertmanagerWebhook = z.output<typeof alertmanagerWebhookSchema>;

/**
 * Query of `GET /api/ml/models/:namespace/:name/alert-actions`.
 *
 * @public
 */
export const alertActionsQuerySchema = z
  .object({
    /** Items to list, 1-200; 50 when absent. */
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

/** Query of `GET /api/ml/models/:namespace/:name/alert-actions`, parsed. @public */
export type AlertActionsQuery = z.output<typeof alertActionsQuerySchema>;
