/**
 * `npm run test:node`: the scenarios of test/node/ against the running single-node cluster
 * (scripts/node/up.sh), one at a time. The shared setup schema-checks every synthesized object.
 * @type {import('jest').Config}
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/test/node/**/*.node.ts'],
  testTimeout: 15 * 60 * 1000,
  maxWorkers: 1,
};
