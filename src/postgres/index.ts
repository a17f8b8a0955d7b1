// The postgres pattern's public API.
export * from './backup-repository';
export * from './props';
export * from './stateful-postgres';
