import { createRequire } from 'node:module';

/**
 * Preloaded into the service by the hash chain's A/B (`node -r dist/bench/without-hash.js
 * dist/src/main.js`): the service as it is, except that `entryHash` returns a constant. The engine
 * calls it through the module's exports, so replacing the export replaces every call. Its history
 * can never be verified: for measuring only.
 */
const main = process.argv[1];
if (!main) throw new Error('without-hash: preload it into the service (node -r … main.js)');
const chain = createRequire(main)('./history/hash-chain.js') as { entryHash: unknown };
const CONSTANT = '0'.repeat(64);
chain.entryHash = () => CONSTANT;
