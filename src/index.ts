export * from './common/pod-options';
export * from './common/secret-key-reference';
export * from './web';
export * from './batch';
export * from './postgres';
export * from './fast-app';
