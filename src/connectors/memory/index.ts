import { descriptor } from '../contract';
import { MemoryEndpointSchema } from './spec';
import type * as Session from './session';

/** The driver-bearing module, loaded on first open only (see ConnectorDescriptor in ../contract). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const session = (): typeof Session => require('./session');

/**
 * The reference connector: a store held in the process's memory that honours the whole contract like a
 * real one (key order, keyset cursors, partitions, upserts, rejected records, dead letters). It backs the
 * fast test tier and the conformance suite; data lives as long as the process, so it suits an in-process worker.
 */
export const memory = descriptor({
  type: 'memory',
  description: 'In-memory reference store (process-global): for tests and for trying a job without a database',
  capabilities: {
    source: true,
    target: true,
    documentStore: false,
    notes: [
      'Data lives in the worker process only (a Map of store → object → rows sorted by key): gone when the process exits.',
      'Key: the one or several fields the object was created with; keyset reads in key-tuple order (int64 compared as integers, numbers before strings).',
      'Partitions: ranges of the leading key field at quantiles of its distinct values (lower exclusive, upper inclusive).',
      'Writes: upsert by the key tuple; a null key or a value that does not fit the declared field type is a rejected record.',
      'Dead letters: the object _datamigrato_dead_letters of the same store.',
      'The store named "denied" simulates bad credentials: check() fails with an AuthError.',
    ],
  },
  endpointSchema: MemoryEndpointSchema,
  objectName: (e) => `${e.connection.store}.${e.object}`,
  open: async (e, connection, log) => session().openMemory(e, connection, log),
  list: async (scope, connection) => session().listMemory(scope, connection),
  targetNaming: (name) => ({ object: name }),
});
