export * from './MlApi';
export * from './MlClient';
