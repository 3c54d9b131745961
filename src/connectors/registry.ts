import { configError } from '../errors';
import type { Connector } from './contract';
import { cassandraConnector } from './cassandra';
import { mongodbConnector } from './mongodb';
import { postgresConnector } from './postgres';

const connectors = new Map<string, Connector>([
  [postgresConnector.type, postgresConnector],
  [mongodbConnector.type, mongodbConnector],
  [cassandraConnector.type, cassandraConnector],
]);

export function getConnector(type: string): Connector {
  const c = connectors.get(type);
  if (!c) throw configError(`unknown connector type "${type}"; known: ${[...connectors.keys()].join(', ')}`);
  return c;
}

export const listConnectors = (): Connector[] => [...connectors.values()];
