export * from './web';
export * from './batch';
export * from './postgres';
export * from './fast-app';
