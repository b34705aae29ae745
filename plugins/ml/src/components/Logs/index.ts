export { LogsCard } from './LogsCard';
export { EntityLogsCard } from './EntityLogsCard';
export { badWindow, logsWindowHref } from './logsWindow';
