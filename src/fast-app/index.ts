// The fast-app pattern's public API.
export * from './fast-app';
