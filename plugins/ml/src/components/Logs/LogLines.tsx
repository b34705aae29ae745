import { Box, Typography } from '@material-ui/core';
import { LogLine } from '@mlplatform/plugin-ml-common';
import { Fragment, ReactNode } from 'react';

/** `text` with every case-insensitive occurrence of `search` in a <mark>. */
export function highlight(text: string, search: string): ReactNode {
  if (!search) return text;
  const lower = text.toLocaleLowerCase();
  const needle = search.toLocaleLowerCase();
  const parts: ReactNode[] = [];
  let from = 0;
  for (
    let at = lower.indexOf(needle);
    at >= 0;
    at = lower.indexOf(needle, from)
  ) {
    parts.push(text.slice(from, at));
    parts.push(<mark key={at}>{text.slice(at, at + needle.length)}</mark>);
    from = at + needle.length;
  }
  parts.push(text.slice(from));
  return parts.map((p, i) => <Fragment key={i}>{p}</Fragment>);
}

/** The lines that contain `search`, case-insensitively. */
export function filterLines(lines: LogLine[], search: string): LogLine[] {
  if (!search) return lines;
  const needle = search.toLocaleLowerCase();
  return lines.filter(l => l.text.toLocaleLowerCase().includes(needle));
}

/**
 * Log lines in a scrolling monospace block, times dimmed, matches of the
 * search highlighted.
 */
export function LogLines(props: {
  lines: LogLine[];
  search: string;
  label: string;
  showLabels?: boolean;
}) {
  const { lines, search, label, showLabels } = props;
  return (
    <Box
      component="pre"
      role="log"
      aria-label={label}
      style={{
        maxHeight: 420,
        overflow: 'auto',
        fontSize: 12,
        margin: 0,
        padding: 8,
        background: 'rgba(0,0,0,0.04)',
        whiteSpace: 'pre-wrap',
        wordBreak: 'break-all',
      }}
    >
      {lines.map((line, i) => (
        <div key={i} data-testid="log-line">
          {line.time && (
            <Typography
              component="span"
              color="textSecondary"
              style={{ fontSize: 'inherit', fontFamily: 'inherit' }}
            >
              {line.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}{' '}
            </Typography>
          )}
          {showLabels && line.labels && (
            <Typography
              component="span"
              color="textSecondary"
              style={{ fontSize: 'inherit', fontFamily: 'inherit' }}
            >
              {Object.entries(line.labels)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')}{' '}
            </Typography>
          )}
          {highlight(line.text, search)}
        </div>
      ))}
    </Box>
  );
}
