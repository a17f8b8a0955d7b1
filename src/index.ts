export * from './common/pod-options';
export * from './web';
export * from './batch';
export * from './postgres';
export * from './fast-app';
// The one Secret key reference of the library: named explicitly so it takes precedence while a
// pattern still declares a struct of the same name and shape.
export type { SecretKeyReference } from './common/secret-key-reference';
