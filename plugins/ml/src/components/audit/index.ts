export { AuditPage, OutcomeChip } from './AuditPage';
