import {
  StatusAborted,
  StatusError,
  StatusOK,
  StatusPending,
  StatusWarning,
} from '@backstage/core-components';
import { NotebookPhase as Phase } from '@mlplatform/plugin-ml-common';

/**
 * A notebook's phase with the status icon Backstage uses for the same state.
 *
 * @public
 */
export function NotebookPhase(props: { phase: Phase }) {
  switch (props.phase) {
    case 'Running':
      return <StatusOK>Running</StatusOK>;
    case 'Pending':
      return <StatusPending>Pending</StatusPending>;
    case 'Stopped':
      return <StatusAborted>Stopped</StatusAborted>;
    case 'Failed':
      return <StatusError>Failed</StatusError>;
    default:
      return <StatusWarning>Unknown</StatusWarning>;
  }
}
