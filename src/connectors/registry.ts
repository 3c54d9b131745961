import { configError } from '../errors';
import type { ConnectorDescriptor } from './contract';
import { cassandra } from './cassandra';
import { mongodb } from './mongodb';
import { postgres } from './postgres';
import { sqlite } from './sqlite';

/**
 * The one list of connectors: it builds the job spec's endpoint union, GET /connectors and every object
 * name in reports. Adding a connector = its folder + one line here. Descriptors import no driver.
 */
export const descriptors: readonly ConnectorDescriptor[] = [postgres, mongodb, cassandra, sqlite];

const byType = new Map(descriptors.map((d) => [d.type, d]));

export function getConnector(type: string): ConnectorDescriptor {
  const c = byType.get(type);
  if (!c) throw configError(`unknown connector type "${type}"; known: ${[...byType.keys()].join(', ')}`);
  return c;
}

export const listConnectors = (): readonly ConnectorDescriptor[] => descriptors;

/** The endpoint's object as reports name it (`public.orders`, `shop.users`). */
export const objectNameOf = (endpoint: { type: string }): string => getConnector(endpoint.type).objectName(endpoint as never);
