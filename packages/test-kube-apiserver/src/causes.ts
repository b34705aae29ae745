/*
 * StatusCauses with the messages of apimachinery's field errors
 * (k8s.io/apimachinery/pkg/util/validation/field).
 */
import { StatusCause } from './status';

/** A value quoted as Go's %q would. */
export const q = (v: unknown) =>
  JSON.stringify(typeof v === 'string' ? v : String(v));

/** FieldValueInvalid: `Invalid value: "v": detail`. */
export const invalid = (
  field: string,
  value: unknown,
  detail: string,
): StatusCause => ({
  reason: 'FieldValueInvalid',
  message: `Invalid value: ${q(value)}: ${detail}`,
  field,
});

/** FieldValueRequired: `Required value[: detail]`. */
export const required = (field: string, detail?: string): StatusCause => ({
  reason: 'FieldValueRequired',
  message: detail ? `Required value: ${detail}` : 'Required value',
  field,
});
