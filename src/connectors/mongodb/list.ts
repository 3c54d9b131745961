import { MongoClient } from 'mongodb';
import { configError } from '../../errors';
import type { EndpointBase, ListedObject, ResolvedConnection } from '../contract';
import { classifyMongoError } from './errors';

const DEAD_LETTERS = '_datamigrato_dead_letters';

/** The collections of the scope's `database` (views and system collections left out), in name order. */
export async function listMongo(scope: EndpointBase, connection: ResolvedConnection): Promise<ListedObject[]> {
  const url = connection.url;
  if (typeof url !== 'string') throw configError('connection.url did not resolve to a string', 'mongodb');
  const database = scope.database;
  if (typeof database !== 'string' || !database) throw configError('source.database: listing collections needs the database to list', 'mongodb');
  let client: MongoClient | undefined;
  try {
    client = new MongoClient(url, { appName: 'datamigrato', serverSelectionTimeoutMS: 15_000, connectTimeoutMS: 10_000 });
    const infos = await client.db(database).listCollections({}, { nameOnly: false }).toArray();
    return infos
      .filter((c) => (c.type ?? 'collection') === 'collection' && !c.name.startsWith('system.') && c.name !== DEAD_LETTERS)
      .map((c) => ({ name: `${database}.${c.name}`, leaf: c.name, naming: { collection: c.name } }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch (err) {
    throw classifyMongoError(err, `list collections of ${database}`);
  } finally {
    await client?.close().catch(() => undefined);
  }
}
