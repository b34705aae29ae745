import { Chip } from '@material-ui/core';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpIcon from '@material-ui/icons/Help';
import WarningIcon from '@material-ui/icons/Warning';
import { ModelHealthVerdict } from '@mlplatform/plugin-ml-common';

const STYLE: Record<
  ModelHealthVerdict,
  { label: string; color: string; Icon: typeof CheckCircleIcon }
> = {
  healthy: { label: 'Healthy', color: '#2e7d32', Icon: CheckCircleIcon },
  degraded: { label: 'Degraded', color: '#ed6c02', Icon: WarningIcon },
  failing: { label: 'Failing', color: '#d32f2f', Icon: ErrorIcon },
  unknown: { label: 'Unknown', color: '#757575', Icon: HelpIcon },
};

/** A coloured chip with an icon for a verdict or an objective's status. */
export function VerdictBadge(props: {
  verdict: ModelHealthVerdict;
  size?: 'small' | 'medium';
}) {
  const { label, color, Icon } = STYLE[props.verdict] ?? STYLE.unknown;
  return (
    <Chip
      size={props.size ?? 'medium'}
      label={label}
      icon={<Icon style={{ color: '#fff' }} />}
      style={{ backgroundColor: color, color: '#fff', fontWeight: 600 }}
      data-testid={`${props.size === 'small' ? 'status' : 'verdict'}-${
        props.verdict
      }`}
    />
  );
}

const SEVERITY_COLOR: Record<string, string> = {
  critical: '#d32f2f',
  page: '#d32f2f',
  warning: '#ed6c02',
  info: '#0288d1',
};

/** A chip for an alert's `severity` label. */
export function SeverityChip(props: { severity: string }) {
  const color = SEVERITY_COLOR[props.severity] ?? '#757575';
  return (
    <Chip
      size="small"
      label={props.severity}
      style={{ backgroundColor: color, color: '#fff' }}
    />
  );
}
