import { Link } from '@backstage/core-components';
import { Box } from '@material-ui/core';
import { PipelineRun } from '@mlplatform/plugin-ml-common';

/** Links of a run: logs, the orchestrator's UI, Tensorboard, where known. */
export function RunLinks(props: { run: PipelineRun }) {
  const { run } = props;
  const links = [
    { label: 'Logs', url: run.logsUrl },
    { label: 'Orchestrator', url: run.uiUrl },
    { label: 'Tensorboard', url: run.tensorboardUrl },
  ].filter((l): l is { label: string; url: string } => Boolean(l.url));
  if (links.length === 0) return <>—</>;
  return (
    <Box display="flex" flexDirection="column">
      {links.map(l => (
        <Link key={l.label} to={l.url} aria-label={`${l.label} of ${run.id}`}>
          {l.label}
        </Link>
      ))}
    </Box>
  );
}
