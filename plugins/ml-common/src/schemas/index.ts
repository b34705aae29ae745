export * from './patterns';
export * from './parse';
