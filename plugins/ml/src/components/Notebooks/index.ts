export { IdleGpusCard } from './IdleGpusCard';
export { MyNotebooksPage } from './MyNotebooksPage';
export { NewNotebookDialog } from './NewNotebookDialog';
export { NotebookPhase } from './NotebookPhase';
