import { Chip } from '@material-ui/core';
import BlockIcon from '@material-ui/icons/Block';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import HelpIcon from '@material-ui/icons/Help';
import HourglassEmptyIcon from '@material-ui/icons/HourglassEmpty';
import PlayCircleFilledIcon from '@material-ui/icons/PlayCircleFilled';
import { PipelineRunStatus } from '@mlplatform/plugin-ml-common';

/** Colour of each run status, shared by the chips and the duration chart. */
export const RUN_STATUS_COLOR: Record<PipelineRunStatus, string> = {
  succeeded: '#2e7d32',
  failed: '#d32f2f',
  running: '#1565c0',
  pending: '#ed6c02',
  cancelled: '#616161',
  unknown: '#9e9e9e',
};

const STYLE: Record<
  PipelineRunStatus,
  { label: string; Icon: typeof CheckCircleIcon }
> = {
  succeeded: { label: 'Succeeded', Icon: CheckCircleIcon },
  failed: { label: 'Failed', Icon: ErrorIcon },
  running: { label: 'Running', Icon: PlayCircleFilledIcon },
  pending: { label: 'Pending', Icon: HourglassEmptyIcon },
  cancelled: { label: 'Cancelled', Icon: BlockIcon },
  unknown: { label: 'Unknown', Icon: HelpIcon },
};

/**
 * A run's status as a coloured chip with an icon; the orchestrator's own
 * state word and message are its tooltip.
 *
 * @public
 */
export function RunStatusChip(props: {
  status: PipelineRunStatus;
  rawStatus?: string;
  message?: string;
}) {
  const status = STYLE[props.status] ? props.status : 'unknown';
  const { label, Icon } = STYLE[status];
  const title = [props.rawStatus, props.message].filter(Boolean).join(': ');
  return (
    <Chip
      size="small"
      label={label}
      title={title || undefined}
      icon={<Icon style={{ color: '#fff' }} />}
      style={{
        backgroundColor: RUN_STATUS_COLOR[status],
        color: '#fff',
        fontWeight: 600,
      }}
      data-testid={`run-status-${status}`}
    />
  );
}
