import { configError } from '../errors';
import type { ConnectorDescriptor } from './contract';
import * as builtIn from './descriptors';

/**
 * The one list of connectors (src/connectors/descriptors.ts): it builds the job spec's endpoint union,
 * GET /connectors and every object name in reports. Sorted by type so listings are stable.
 */
export const descriptors: readonly ConnectorDescriptor[] = (Object.values(builtIn) as ConnectorDescriptor[]).sort((a, b) => a.type.localeCompare(b.type));

const byType = new Map(descriptors.map((d) => [d.type, d]));

export function getConnector(type: string): ConnectorDescriptor {
  const c = byType.get(type);
  if (!c) throw configError(`unknown connector type "${type}"; known: ${[...byType.keys()].join(', ')}`);
  return c;
}

export const listConnectors = (): readonly ConnectorDescriptor[] => descriptors;

/** The endpoint's object as reports name it (`public.orders`, `shop.users`). */
export const objectNameOf = (endpoint: { type: string }): string => getConnector(endpoint.type).objectName(endpoint as never);
