import { Client, Connection } from '@temporalio/client';
import { createApp } from '../../api/app';
import { validateSpec } from '../../client';

/**
 * The API and spec validation need connector descriptors (types, schemas, capabilities), never a driver:
 * loading pg, mongodb and cassandra-driver costs start-up time and memory in every API process.
 */
const DRIVERS = ['pg', 'pg-copy-streams', 'mongodb', 'cassandra-driver', 'better-sqlite3', 'mysql2', '@aws-sdk/client-dynamodb'];

test('creating the API app and validating a spec load no database driver', async () => {
  const client = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: '1s' }), namespace: 'default' });
  try {
    createApp({ client, taskQueue: 'x', uiUrl: 'http://ui' });
    const checked = validateSpec({
      name: 'no-drivers',
      source: { type: 'postgres', connection: { url: { env: 'PG_URL' } }, table: 'a' },
      target: { type: 'mongodb', connection: { url: { env: 'MONGO_URL' } }, database: 'dm', collection: 'b' },
    });
    expect(checked.ok ? [] : checked.issues).toEqual([]);
    const files = Object.keys(require.cache);
    const loaded = DRIVERS.filter((d) => files.some((file) => file.includes(`/node_modules/${d}/`)));
    expect(loaded).toEqual([]);
  } finally {
    await client.connection.close();
  }
});
