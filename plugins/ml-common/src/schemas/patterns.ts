import { z } from 'zod';
import { isQuantity, parseQuantity } from '../quantity';

/*
 * The rules every caller of the ML backend is held to, written once: the
 * backend routes, the MCP actions, the scaffolder actions and the frontend
 * forms all build their schemas from these, so one rule has one message.
 */

/** A DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters. @public */
export const DNS_LABEL_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** What a caller is told when a value is not a DNS-1123 label. @public */
export const DNS_LABEL_MESSAGE =
  'must be a DNS-1123 label (lower-case letters, digits and -)';

/**
 * A DNS-1123 label of 1 to 63 characters in one pattern, length included:
 * for JSON schemas (the scaffolder's action inputs), which cannot give a
 * pattern and a length one message.
 *
 * @public
 */
export const DNS_LABEL_63_PATTERN = new RegExp(
  `^(?=.{1,63}$)${DNS_LABEL_PATTERN.source.slice(1)}`,
);

/** Whether `value` is a DNS-1123 label of at most `max` characters. @public */
export function isDnsLabel(value: string, max = 63): boolean {
  return value.length <= max && DNS_LABEL_PATTERN.test(value);
}

/** A DNS-1123 subdomain: dot-separated DNS labels, at most 253 characters. @public */
export const DNS_SUBDOMAIN_PATTERN =
  /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Docker's distribution reference grammar: `[host[:port]/]path[:tag][@digest]`. @public */
export const IMAGE_REFERENCE_PATTERN =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** A pipeline run parameter name, as every orchestrator accepts it. @public */
export const PARAMETER_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,62}$/;

/** A catalog entity name: letters, digits and single `-` `_` `.` between them. @public */
export const ENTITY_NAME_PATTERN = /^[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)*$/;

/** A DNS-1123 label of at most `max` characters (63 for a namespace). @public */
export function dnsLabel(max = 63) {
  return z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(DNS_LABEL_PATTERN, DNS_LABEL_MESSAGE);
}

/** A DNS-1123 subdomain such as a ResourceFlavor name. @public */
export function dnsSubdomain(what = 'name') {
  return z
    .string()
    .max(253, 'must be at most 253 characters')
    .regex(DNS_SUBDOMAIN_PATTERN, `must be a ${what} (a DNS-1123 subdomain)`);
}

/** A cluster name as configured under `ml.kubernetes.clusters`. @public */
export function clusterName() {
  return z.string().min(1, 'must not be empty').max(253);
}

/** An image reference such as `registry.example.com/team/notebook:1.0`. @public */
export function imageReference() {
  return z
    .string()
    .max(512, 'must be at most 512 characters')
    .regex(
      IMAGE_REFERENCE_PATTERN,
      'must be an image reference such as registry.example.com/team/notebook:1.0',
    );
}

/**
 * A Kubernetes quantity between two bounds; `range` names them for the
 * message, e.g. `100m..64`.
 *
 * @public
 */
export function boundedQuantity(
  what: string,
  min: number,
  max: number,
  range: string,
) {
  return z
    .string()
    .max(32, 'must be at most 32 characters')
    .refine(
      isQuantity,
      `${what} must be a Kubernetes quantity such as ${range.split('..')[0]}`,
    )
    .refine(v => {
      const n = parseQuantity(v);
      return n !== undefined && n >= min && n <= max;
    }, `${what} must be between ${range}`);
}

/** A pipeline run parameter name. @public */
export function parameterName() {
  return z
    .string()
    .regex(
      PARAMETER_NAME_PATTERN,
      'must start with a letter or _ and contain only letters, digits, _ . - (at most 63 characters)',
    );
}

/** A catalog entity name (the `name` of `kind:namespace/name`). @public */
export function entityName() {
  return z
    .string()
    .max(63, 'must be at most 63 characters')
    .regex(
      ENTITY_NAME_PATTERN,
      'must be letters, digits and single - _ . between them',
    );
}
