import { WarningPanel } from '@backstage/core-components';
import { ClusterAvailability } from '@mlplatform/plugin-ml-common';
import { Box } from '@material-ui/core';

/**
 * One warning per cluster that did not answer, with its error; what the
 * other clusters returned is still shown below it. A cluster's notes (e.g.
 * why queue positions are missing) follow as information.
 *
 * @public
 */
export function ClusterWarnings(props: {
  clusters: ClusterAvailability[];
  consequence: string;
}) {
  const down = props.clusters.filter(c => !c.available);
  const notes = props.clusters.flatMap(c =>
    c.available ? (c.notes ?? []).map(note => ({ cluster: c.name, note })) : [],
  );
  if (down.length === 0 && notes.length === 0) return null;
  return (
    <>
      {down.map(c => (
        <Box key={c.name} mb={2}>
          <WarningPanel
            severity="warning"
            title={`${c.name} unavailable: ${c.error ?? 'no answer'}`}
            message={props.consequence}
          />
        </Box>
      ))}
      {notes.map(({ cluster, note }) => (
        <Box key={`${cluster}:${note}`} mb={2}>
          <WarningPanel severity="info" title={note} />
        </Box>
      ))}
    </>
  );
}
