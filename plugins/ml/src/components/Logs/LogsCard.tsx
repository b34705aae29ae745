import { EmptyState, InfoCard, Progress } from '@backstage/core-components';
import { useApi } from '@backstage/frontend-plugin-api';
import {
  Box,
  Button,
  FormControl,
  FormControlLabel,
  InputLabel,
  MenuItem,
  Select,
  Switch,
  TextField,
  Typography,
} from '@material-ui/core';
import {
  LOG_LIMITS,
  LogLine,
  LogPod,
  LogsTargetRef,
  PodLogsRequest,
} from '@mlplatform/plugin-ml-common';
import { useEffect, useMemo, useState } from 'react';
import { useLocation } from 'react-router-dom';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { mlApiRef } from '../../api';
import { LogLines, filterLines } from './LogLines';
import { LogsError } from './LogsError';
import { LOGS_CARD_ID, LogsWindow, windowFromSearch } from './logsWindow';
import { LogStoreSection } from './LogStoreSection';

const TAILS = [100, 500, 1000, 5000];

const podKey = (p: LogPod) => `${p.cluster}/${p.namespace}/${p.name}`;

/** Saves `text` as a file through a temporary object URL. */
function saveText(text: string, filename: string) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

function windowText(w: LogsWindow) {
  const fmt = (s: string) => s.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z');
  return `${fmt(w.start)} – ${fmt(w.end)}`;
}

/**
 * Logs of a Model's serving pods, a Pipeline's run pods or a notebook's pod
 * (`entity-card:ml/logs`, and the notebook dialog): pick the pod and
 * container, how far back and how many lines, follow new lines, search
 * (matches highlighted, others hidden) and download; below, the entity's
 * lines in the central log store when one is configured. A `logsStart` /
 * `logsEnd` window in the page URL (the Health card's "logs of these
 * minutes") narrows both.
 *
 * @public
 */
export function LogsCard(props: { target: LogsTargetRef; title?: string }) {
  const { target, title = 'Logs' } = props;
  const api = useApi(mlApiRef);
  const location = useLocation();
  const urlWindow = useMemo(
    () => windowFromSearch(location.search),
    [location.search],
  );
  const [window, setWindow] = useState<LogsWindow | undefined>(urlWindow);
  useEffect(() => setWindow(urlWindow), [urlWindow]);
  const [podId, setPodId] = useState('');
  const [container, setContainer] = useState('');
  const [since, setSince] = useState('');
  const [tail, setTail] = useState<number>(LOG_LIMITS.defaultTail);
  const [follow, setFollow] = useState(false);
  const [search, setSearch] = useState('');
  const [downloadError, setDownloadError] = useState<Error>();
  const { kind, namespace, name } = target;
  const cluster = target.kind === 'notebook' ? target.cluster : undefined;
  const ref = useMemo(
    () => target,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [kind, namespace, name, cluster],
  );

  const pods = useAsyncRetry(() => api.getLogPods(ref), [api, ref]);
  const podList = pods.value?.pods ?? [];
  const pod = podList.find(p => podKey(p) === podId) ?? podList[0];
  const containerName =
    pod?.containers.find(c => c.name === container)?.name ??
    pod?.containers[0]?.name;

  const request: PodLogsRequest | undefined = pod && {
    cluster: pod.cluster,
    podNamespace: pod.namespace,
    pod: pod.name,
    container: containerName,
    tail,
    ...(window ? { start: window.start, end: window.end } : {}),
    ...(!window && since ? { since } : {}),
  };
  const requestKey = JSON.stringify(request ?? null);
  const logs = useAsyncRetry(
    async () => (request ? api.getPodLogs(ref, request) : undefined),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [api, ref, requestKey],
  );
  // Follow streams the tail, then each new line, until switched off.
  const [followed, setFollowed] = useState<LogLine[]>();
  const [followError, setFollowError] = useState<Error>();
  useEffect(() => {
    setFollowed(undefined);
    setFollowError(undefined);
    if (!follow || !request) return undefined;
    // the lines read so far stay until the stream's first line replaces them
    const abort = new AbortController();
    (async () => {
      try {
        for await (const line of api.followPodLogs(
          ref,
          request,
          abort.signal,
        )) {
          setFollowed(prev => [...(prev ?? []), line].slice(-tail));
        }
      } catch (e) {
        if (!abort.signal.aborted) setFollowError(e as Error);
      }
    })();
    return () => abort.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, ref, requestKey, follow]);

  const loaded = followed ?? logs.value?.lines;
  const shown = useMemo(
    () => filterLines(loaded ?? [], search),
    [loaded, search],
  );
  const loadError = followError ?? logs.error;

  const download = async () => {
    if (!request || !pod) return;
    setDownloadError(undefined);
    try {
      const text = await api.downloadPodLogs(ref, request);
      saveText(text, `${pod.name}-${containerName}.log`);
    } catch (e) {
      setDownloadError(e as Error);
    }
  };

  let body;
  if (pods.loading && !pods.value) {
    body = <Progress />;
  } else if (pods.error) {
    body = <LogsError error={pods.error} what="the pods" />;
  } else if (pods.value && !pods.value.configured) {
    body = (
      <EmptyState
        missing="info"
        title="No pods to read logs from"
        description={`${
          pods.value.message ?? ''
        } See docs/logs.md for the annotations and configuration.`}
      />
    );
  } else if (!pod) {
    body = (
      <EmptyState
        missing="data"
        title="No pods found"
        description={`No pod matches ${
          pods.value?.selector ?? 'the selector'
        } on the configured clusters right now${
          kind === 'pipeline'
            ? ' (runs whose pods were deleted have no logs here)'
            : ''
        }.`}
      />
    );
  } else {
    body = (
      <>
        <Box
          display="flex"
          flexWrap="wrap"
          alignItems="center"
          style={{ gap: 12 }}
        >
          <FormControl size="small" style={{ minWidth: 220 }}>
            <InputLabel id="logs-pod">Pod</InputLabel>
            <Select
              labelId="logs-pod"
              value={podKey(pod)}
              onChange={e => {
                setPodId(String(e.target.value));
                setContainer('');
              }}
            >
              {podList.map(p => (
                <MenuItem key={podKey(p)} value={podKey(p)}>
                  {p.name} ({p.phase}
                  {p.run ? `, run ${p.run}` : ''}) · {p.cluster}/{p.namespace}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <FormControl size="small" style={{ minWidth: 140 }}>
            <InputLabel id="logs-container">Container</InputLabel>
            <Select
              labelId="logs-container"
              value={containerName ?? ''}
              onChange={e => setContainer(String(e.target.value))}
            >
              {pod.containers.map(c => (
                <MenuItem key={c.name} value={c.name}>
                  {c.name}
                  {c.started ? '' : ' (not started)'}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          {!window && (
            <FormControl size="small" style={{ minWidth: 100 }}>
              <InputLabel id="logs-since" shrink>
                Since
              </InputLabel>
              <Select
                labelId="logs-since"
                value={since}
                displayEmpty
                onChange={e => setSince(String(e.target.value))}
              >
                <MenuItem value="">start</MenuItem>
                {LOG_LIMITS.sinceChoices.map(s => (
                  <MenuItem key={s} value={s}>
                    {s}
                  </MenuItem>
                ))}
              </Select>
            </FormControl>
          )}
          <FormControl size="small" style={{ minWidth: 90 }}>
            <InputLabel id="logs-tail">Last lines</InputLabel>
            <Select
              labelId="logs-tail"
              value={tail}
              onChange={e => setTail(Number(e.target.value))}
            >
              {TAILS.map(t => (
                <MenuItem key={t} value={t}>
                  {t}
                </MenuItem>
              ))}
            </Select>
          </FormControl>
          <FormControlLabel
            control={
              <Switch
                checked={follow}
                onChange={e => setFollow(e.target.checked)}
                disabled={!!window}
              />
            }
            label="Follow"
          />
          <TextField
            id="logs-search"
            size="small"
            label="Search loaded lines"
            value={search}
            onChange={e => setSearch(e.target.value)}
            inputProps={{ maxLength: LOG_LIMITS.maxSearchLength }}
          />
          <Button variant="outlined" size="small" onClick={download}>
            Download
          </Button>
        </Box>
        {window && (
          <Box mt={1} display="flex" alignItems="center" style={{ gap: 8 }}>
            <Typography variant="body2">
              Window {windowText(window)} (from the Health card)
            </Typography>
            <Button size="small" onClick={() => setWindow(undefined)}>
              Show latest instead
            </Button>
          </Box>
        )}
        {downloadError && (
          <LogsError error={downloadError} what="the file to download" />
        )}
        <Box mt={1}>
          {loadError && <LogsError error={loadError} what="the logs" />}
          {!loadError && !loaded && <Progress />}
          {!loadError && loaded && (
            <>
              <Typography variant="caption" color="textSecondary">
                {search
                  ? `${shown.length} of ${loaded.length} lines match "${search}"`
                  : `${loaded.length} lines (last ${tail})`}
                {follow && request ? ' · following' : ''}
              </Typography>
              {loaded.length === 0 ? (
                <Typography variant="body2">
                  No lines{window || since ? ' in this window' : ''} yet.
                </Typography>
              ) : (
                <LogLines
                  lines={shown}
                  search={search}
                  label={`Logs of ${pod.name}/${containerName}`}
                />
              )}
            </>
          )}
        </Box>
      </>
    );
  }

  return (
    <div id={LOGS_CARD_ID}>
      <InfoCard title={title}>
        {body}
        {pods.value?.errors.map(e => (
          <Typography
            key={e.message}
            variant="caption"
            color="error"
            component="div"
          >
            {e.cluster}: {e.message}
          </Typography>
        ))}
        {kind !== 'notebook' && (
          <LogStoreSection target={ref} window={window} search={search} />
        )}
      </InfoCard>
    </div>
  );
}
