import {
  Content,
  ContentHeader,
  Progress,
  ResponseErrorPanel,
  SupportButton,
  Table,
  TableColumn,
} from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  Chip,
  makeStyles,
  MenuItem,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  ML_AUDIT_ACTIONS,
  MlAuditEvent,
  MlAuditOutcome,
  MlAuditQuery,
} from '@mlplatform/plugin-ml-common';
import { FormEvent, useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { age } from '../shared/relativeTime';
import { longToken, oneLine } from '../shared/tableCells';

const PAGE_SIZE = 25;

const useStyles = makeStyles(theme => ({
  filters: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-end',
    gap: theme.spacing(2),
    marginBottom: theme.spacing(2),
  },
  mono: { fontFamily: 'monospace', fontSize: '0.8125rem' },
  nowrap: { whiteSpace: 'nowrap' },
  succeeded: {
    backgroundColor: theme.palette.success?.main ?? '#2e7d32',
    color: '#fff',
  },
  failed: { backgroundColor: theme.palette.error.main, color: '#fff' },
  refused: {
    backgroundColor: theme.palette.warning?.main ?? '#ed6c02',
    color: '#fff',
  },
  paging: {
    display: 'flex',
    justifyContent: 'flex-end',
    gap: theme.spacing(1),
    marginTop: theme.spacing(1),
  },
}));

/** The outcome of an audited action as a coloured chip. */
export function OutcomeChip(props: { outcome: MlAuditOutcome }) {
  const classes = useStyles();
  return (
    <Chip
      size="small"
      label={props.outcome}
      className={classes[props.outcome]}
    />
  );
}

interface FilterForm {
  actor: string;
  action: string;
  entity: string;
  outcome: string;
  from: string;
  to: string;
}

const EMPTY: FilterForm = {
  actor: '',
  action: '',
  entity: '',
  outcome: '',
  from: '',
  to: '',
};

/** `datetime-local` values are local time; the API wants instants. */
function toInstant(local: string): string | undefined {
  if (!local) return undefined;
  const t = new Date(local);
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

function toQuery(form: FilterForm): MlAuditQuery {
  return {
    actor: form.actor.trim() || undefined,
    action: form.action || undefined,
    entity: form.entity.trim() || undefined,
    outcome: (form.outcome || undefined) as MlAuditOutcome | undefined,
    from: toInstant(form.from),
    to: toInstant(form.to),
  };
}

function detailsText(event: MlAuditEvent): string {
  return Object.entries(event.details)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' · ');
}

/**
 * The ML audit trail (`/ml/audit`): every notebook, promotion, pipeline run
 * and alert action, who did it, on what, and how it ended; filtered by
 * actor, action, entity, outcome and time, newest first, a page at a time.
 * Users without `ml.audit.read` see their own actions only.
 *
 * @public
 */
export function AuditPage(props: { now?: number }) {
  const classes = useStyles();
  const api = useApi(mlApiRef);
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [query, setQuery] = useState<MlAuditQuery>({});
  // Cursors of the pages before the current one; the last is the current.
  const [cursors, setCursors] = useState<Array<string | undefined>>([
    undefined,
  ]);
  const cursor = cursors[cursors.length - 1];
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getAuditEvents({ ...query, limit: PAGE_SIZE, cursor }),
    [api, query, cursor],
  );

  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    setQuery(toQuery(form));
    setCursors([undefined]);
  };
  const clear = () => {
    setForm(EMPTY);
    setQuery({});
    setCursors([undefined]);
  };
  const field =
    (key: keyof FilterForm) => (e: { target: { value: unknown } }) =>
      setForm(f => ({ ...f, [key]: String(e.target.value) }));
  const own = value?.scope === 'own';

  // whole words (the table breaks long ones anywhere by default); the
  // header cells get the same padding as theirs
  const cells = (cellStyle: object) => ({ cellStyle, headerStyle: oneLine });
  const columns: TableColumn<MlAuditEvent>[] = [
    {
      title: 'When',
      ...cells(oneLine),
      render: e => (
        <span className={classes.nowrap} title={e.occurredAt}>
          {new Date(e.occurredAt).toLocaleString()}
          <Typography variant="caption" color="textSecondary" component="p">
            {age(e.occurredAt, props.now) ?? ''} ago
          </Typography>
        </span>
      ),
    },
    { title: 'Actor', field: 'actor', ...cells(oneLine) },
    {
      title: 'Action',
      ...cells(oneLine),
      render: e => <span className={classes.mono}>{e.action}</span>,
    },
    {
      title: 'Entity',
      ...cells(longToken(200)),
      render: e => <span className={classes.mono}>{e.targetRef}</span>,
    },
    {
      title: 'Outcome',
      ...cells(oneLine),
      render: e => <OutcomeChip outcome={e.outcome} />,
    },
    {
      title: 'Details',
      ...cells(longToken(280)),
      render: e => (
        <>
          <Typography variant="body2">{detailsText(e)}</Typography>
          {e.error && (
            <Typography variant="caption" color="error" component="p">
              {e.error}
            </Typography>
          )}
        </>
      ),
    },
  ];

  let body;
  if (loading && !value) {
    body = <Progress />;
  } else if (error) {
    body = (
      <ResponseErrorPanel
        title="Could not load the audit trail"
        error={error}
      />
    );
  } else if (value) {
    body = (
      <>
        <Table<MlAuditEvent>
          title={own ? 'Your actions' : 'All actions'}
          subtitle={
            own
              ? 'You see your own actions; reading everyone’s needs the ml.audit.read permission.'
              : undefined
          }
          options={{
            paging: false,
            search: false,
            padding: 'dense',
            draggable: false,
            sorting: false,
          }}
          columns={columns}
          data={value.items}
          emptyContent={
            <Box p={2}>
              <Typography variant="body2">
                No audited actions match these filters.
              </Typography>
            </Box>
          }
        />
        <div className={classes.paging}>
          <Button
            size="small"
            variant="outlined"
            disabled={cursors.length < 2 || loading}
            onClick={() => setCursors(c => c.slice(0, -1))}
          >
            Newer
          </Button>
          <Button
            size="small"
            variant="outlined"
            disabled={!value.nextCursor || loading}
            onClick={() => setCursors(c => [...c, value.nextCursor])}
          >
            Older
          </Button>
        </div>
      </>
    );
  }

  return (
    <Content>
      <ContentHeader title="Audit">
        <Button variant="outlined" onClick={retry}>
          Refresh
        </Button>
        <SupportButton>
          Every change the ML platform made or refused: notebooks created,
          stopped, started and deleted, models promoted, pipeline runs and alert
          actions.
        </SupportButton>
      </ContentHeader>
      <form className={classes.filters} onSubmit={apply}>
        <TextField
          id="ml-audit-actor"
          label="Actor"
          placeholder="user:default/alice"
          value={form.actor}
          onChange={field('actor')}
          disabled={own}
          helperText={own ? 'Only your own actions' : ' '}
        />
        <TextField
          select
          id="ml-audit-action"
          label="Action"
          value={form.action}
          onChange={field('action')}
          style={{ minWidth: 200 }}
          helperText=" "
        >
          <MenuItem value="">Any action</MenuItem>
          {ML_AUDIT_ACTIONS.map(a => (
            <MenuItem key={a} value={a}>
              {a}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id="ml-audit-entity"
          label="Entity"
          placeholder="model:default/fraud-detector"
          value={form.entity}
          onChange={field('entity')}
          helperText=" "
        />
        <TextField
          select
          id="ml-audit-outcome"
          label="Outcome"
          value={form.outcome}
          onChange={field('outcome')}
          style={{ minWidth: 140 }}
          helperText=" "
        >
          <MenuItem value="">Any outcome</MenuItem>
          {(['succeeded', 'failed', 'refused'] as const).map(o => (
            <MenuItem key={o} value={o}>
              {o}
            </MenuItem>
          ))}
        </TextField>
        <TextField
          id="ml-audit-from"
          label="From"
          type="datetime-local"
          value={form.from}
          onChange={field('from')}
          InputLabelProps={{ shrink: true }}
          helperText=" "
        />
        <TextField
          id="ml-audit-to"
          label="To"
          type="datetime-local"
          value={form.to}
          onChange={field('to')}
          InputLabelProps={{ shrink: true }}
          helperText=" "
        />
        <Box mb={3} display="flex" style={{ gap: 8 }}>
          <Button type="submit" variant="contained" color="primary">
            Apply
          </Button>
          <Button variant="outlined" onClick={clear}>
            Clear
          </Button>
        </Box>
      </form>
      {body}
    </Content>
  );
}
