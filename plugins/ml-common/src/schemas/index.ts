export * from './patterns';
export * from './parse';
export * from './alerts';
export * from './audit';
export * from './entityPath';
export * from './pipelines';
export * from './registry';
export * from './kubernetes';
