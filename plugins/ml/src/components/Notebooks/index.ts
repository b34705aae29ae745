export { MyNotebooksPage } from './MyNotebooksPage';
export { NewNotebookDialog } from './NewNotebookDialog';
export { NotebookPhase } from './NotebookPhase';
