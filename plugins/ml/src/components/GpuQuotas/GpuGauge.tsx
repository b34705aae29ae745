import { Box, makeStyles, Tooltip, Typography } from '@material-ui/core';
import { GpuResourceQuota } from '@mlplatform/plugin-ml-common';

const useStyles = makeStyles(theme => ({
  root: { marginBottom: theme.spacing(1.5) },
  header: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'baseline',
    gap: theme.spacing(1),
    flexWrap: 'wrap',
  },
  resource: { fontFamily: 'monospace', fontSize: '0.8125rem' },
  bar: {
    position: 'relative',
    display: 'flex',
    height: 14,
    marginTop: theme.spacing(0.5),
    borderRadius: 3,
    overflow: 'hidden',
    background: theme.palette.background.default,
    border: `1px solid ${theme.palette.divider}`,
  },
  used: { background: theme.palette.primary.main },
  borrowed: { background: theme.palette.warning.main },
  reserved: { background: theme.palette.primary.light, opacity: 0.6 },
  promised: {
    background: `repeating-linear-gradient(-45deg, ${theme.palette.primary.light}, ${theme.palette.primary.light} 3px, transparent 3px, transparent 6px)`,
  },
  free: { background: theme.palette.success.light },
  borrowable: {
    background: `repeating-linear-gradient(45deg, ${theme.palette.success.light}, ${theme.palette.success.light} 3px, transparent 3px, transparent 6px)`,
  },
  hardMarker: {
    position: 'absolute',
    top: -1,
    bottom: -1,
    width: 2,
    background: theme.palette.text.primary,
  },
  legend: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: theme.spacing(2),
    alignItems: 'center',
  },
  swatch: {
    display: 'inline-block',
    width: 12,
    height: 12,
    borderRadius: 2,
    marginRight: theme.spacing(0.5),
    verticalAlign: 'middle',
    border: `1px solid ${theme.palette.divider}`,
  },
}));

/**
 * The numbers of one GPU resource as a sentence, e.g.
 * `5 / 8 used · 1 being created · 2 free · 0 borrowable`.
 */
export function gaugeSummary(r: GpuResourceQuota): string {
  const parts = [`${r.used} / ${r.hard} used`];
  if (r.reserved !== undefined && r.reserved !== r.used) {
    parts.push(`${r.reserved} reserved`);
  }
  if (r.promised) parts.push(`${r.promised} being created`);
  parts.push(`${r.free} free`, `${r.borrowable} borrowable`);
  return parts.join(' · ');
}

/** Widths of the bar's segments, in devices, in the order they are drawn. */
export function gaugeSegments(r: GpuResourceQuota) {
  const taken = Math.max(r.used, r.reserved ?? r.used);
  // Promised GPUs come out of free first, then out of borrowable (already
  // taken from r.borrowable by the backend).
  const promised = r.promised ?? 0;
  return {
    used: Math.min(r.used, r.hard),
    borrowed: Math.max(0, r.used - r.hard),
    reserved: Math.max(0, taken - r.used),
    promised,
    free: Math.max(0, r.hard - taken - promised),
    borrowable: r.borrowable,
    scale: Math.max(r.hard, taken + promised) + r.borrowable,
  };
}

/**
 * A used / reserved / free / borrowable bar for one GPU resource (and Kueue
 * flavor) of a quota, with the exact numbers beside it. The black tick marks
 * the quota's hard (nominal) limit; what lies right of it can only be
 * borrowed from the cohort.
 *
 * @public
 */
export function GpuGauge(props: { resource: GpuResourceQuota }) {
  const classes = useStyles();
  const r = props.resource;
  const seg = gaugeSegments(r);
  const summary = gaugeSummary(r);
  const pct = (n: number) => (seg.scale > 0 ? (100 * n) / seg.scale : 0);
  const parts: Array<[keyof typeof seg, string, number]> = [
    ['used', 'used', seg.used],
    ['borrowed', 'used beyond the quota (borrowed)', seg.borrowed],
    ['reserved', 'reserved, not yet running', seg.reserved],
    [
      'promised',
      'promised to notebooks and deployments being created',
      seg.promised,
    ],
    ['free', 'free', seg.free],
    ['borrowable', 'borrowable from the cohort', seg.borrowable],
  ];
  const label = `${r.resource}${r.flavor ? ` (${r.flavor})` : ''}`;
  return (
    <div className={classes.root}>
      <div className={classes.header}>
        <Typography variant="body2" component="span">
          <span className={classes.resource}>{r.resource}</span>
          {r.flavor && (
            <Typography
              variant="caption"
              color="textSecondary"
              component="span"
            >
              {' '}
              flavor {r.flavor}
            </Typography>
          )}
        </Typography>
        <Typography variant="body2" component="span">
          {summary}
          {r.borrowingLimit !== undefined && (
            <Typography
              variant="caption"
              color="textSecondary"
              component="span"
            >
              {' '}
              (borrowing limit {r.borrowingLimit})
            </Typography>
          )}
        </Typography>
      </div>
      <div
        className={classes.bar}
        role="img"
        aria-label={`${label}: ${summary}`}
      >
        {parts
          .filter(([, , n]) => n > 0)
          .map(([key, text, n]) => (
            <Tooltip key={key} title={`${n} ${text}`}>
              <div
                className={classes[key as keyof typeof classes]}
                style={{ width: `${pct(n)}%` }}
              />
            </Tooltip>
          ))}
        {r.borrowable > 0 && r.hard > 0 && (
          <div
            className={classes.hardMarker}
            style={{ left: `calc(${pct(Math.max(r.hard, r.used))}% - 1px)` }}
          />
        )}
      </div>
    </div>
  );
}

/**
 * What the colours of {@link GpuGauge} mean; shown once per page.
 *
 * @public
 */
export function GpuGaugeLegend() {
  const classes = useStyles();
  const items: Array<[string, string]> = [
    [classes.used, 'used'],
    [classes.borrowed, 'used beyond quota'],
    [classes.reserved, 'reserved'],
    [classes.promised, 'being created'],
    [classes.free, 'free'],
    [classes.borrowable, 'borrowable'],
  ];
  return (
    <Box className={classes.legend} aria-label="Gauge legend">
      {items.map(([cls, text]) => (
        <Typography key={text} variant="caption" color="textSecondary">
          <span className={`${classes.swatch} ${cls}`} />
          {text}
        </Typography>
      ))}
    </Box>
  );
}
