import { Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import { Box, Typography } from '@material-ui/core';
import { LogsTargetRef } from '@mlplatform/plugin-ml-common';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { LogLines, filterLines } from './LogLines';
import { LogsError } from './LogsError';
import { LogsWindow } from './logsWindow';

/**
 * The entity's lines in the central log store (Loki) over the window, or
 * the last hour: the query that ran, so people can take it to Grafana, and
 * what to set when nothing is configured.
 */
export function LogStoreSection(props: {
  target: LogsTargetRef;
  window?: LogsWindow;
  search: string;
}) {
  const { target, window, search } = props;
  const api = useApi(mlApiRef);
  const { value, loading, error } = useAsyncRetry(
    () =>
      api.getLogStoreLines(
        target,
        window ? { start: window.start, end: window.end } : { since: '1h' },
      ),
    [api, target, window?.start, window?.end],
  );
  return (
    <Box mt={2}>
      <Typography variant="subtitle2">
        Log store{value?.store ? ` (${value.store})` : ''}
      </Typography>
      {loading && !value && <Progress />}
      {error && <LogsError error={error} what="the log store" />}
      {value && !value.configured && (
        <Typography variant="body2" color="textSecondary">
          {value.message}
        </Typography>
      )}
      {value?.configured && (
        <>
          <Typography variant="caption" color="textSecondary" component="div">
            <code>{value.query}</code> · {value.lines.length} lines
            {value.truncated ? ' (newest only: the limit cut the answer)' : ''}
          </Typography>
          {value.lines.length === 0 ? (
            <Typography variant="body2">No lines in this window.</Typography>
          ) : (
            <LogLines
              lines={filterLines(value.lines, search)}
              search={search}
              label="Log store lines"
              showLabels
            />
          )}
        </>
      )}
    </Box>
  );
}
