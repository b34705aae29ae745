import { WarningPanel } from '@backstage/core-components';
import { serverMessage } from '../shared/errors';

/** A refusal the user can act on: 403 names the permission, others the reason. */
export function LogsError(props: { error: Error; what: string }) {
  const status = (props.error as { statusCode?: number }).statusCode;
  const message = serverMessage(props.error);
  if (status === 403) {
    return (
      <WarningPanel
        severity="warning"
        title="You may not read these logs"
        message={
          <>
            {message}. Logs are readable by the team that owns the namespace
            (permission ml.logs.read); ask that team or your platform team for
            access.
          </>
        }
      />
    );
  }
  return (
    <WarningPanel
      severity={status === 503 ? 'warning' : 'error'}
      title={`Could not read ${props.what}`}
      message={message}
    />
  );
}
