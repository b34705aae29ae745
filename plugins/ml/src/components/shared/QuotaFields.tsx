import { WarningPanel } from '@backstage/core-components';
import { Box, OutlinedTextFieldProps, TextField } from '@material-ui/core';
import {
  ClusterAvailability,
  NamespaceGpuQuota,
} from '@mlplatform/plugin-ml-common';
import { quotaKey } from './quotas';

/**
 * A small outlined native select, as the ML forms draw every choice (native,
 * so the choices work the same on touch devices and in tests).
 */
export function SelectField(props: Omit<OutlinedTextFieldProps, 'variant'>) {
  return (
    <TextField
      select
      fullWidth
      variant="outlined"
      size="small"
      SelectProps={{ native: true }}
      InputLabelProps={{ shrink: true }}
      {...props}
    />
  );
}

/**
 * The "GPU quota" choice of the notebook dialog and the GpuQuotaPicker
 * field: one of the user's teams' quotas, by {@link quotaKey}, nothing
 * chosen at first.
 */
export function QuotaSelect(props: {
  id: string;
  quotas: NamespaceGpuQuota[];
  /** The chosen quota's key, `''` for none. */
  value: string;
  onChange: (key: string) => void;
  /** How each quota reads in the list. */
  label: (quota: NamespaceGpuQuota) => string;
  helperText: string;
  error?: boolean;
}) {
  return (
    <SelectField
      id={props.id}
      label="GPU quota"
      required
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      error={props.error}
      helperText={props.helperText}
    >
      <option value="" disabled>
        Choose a quota
      </option>
      {props.quotas.map(q => (
        <option key={quotaKey(q)} value={quotaKey(q)}>
          {props.label(q)}
        </option>
      ))}
    </SelectField>
  );
}

/** A warning per cluster that did not answer: its quotas cannot be chosen. */
export function UnavailableClusters(props: {
  clusters: ClusterAvailability[];
}) {
  return (
    <>
      {props.clusters.map(c => (
        <Box mb={1} key={c.name}>
          <WarningPanel
            title={`${c.name} unavailable: ${c.error ?? 'no answer'}`}
            message="Its quotas cannot be chosen until it answers again."
          />
        </Box>
      ))}
    </>
  );
}
