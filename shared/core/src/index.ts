export * from './quantities';
export * from './reading';
export * from './clock';
export * from './rollup';
export * from './errors';
export * from './config';
export * from './logger';
export * from './rollup-batch';
