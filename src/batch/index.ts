// The batch pattern's public API.
export * from './batch-retry';
export * from './serial-batch-job';
export * from './serial-batch-job-props';
