import { z } from 'zod';
import { CassandraEndpointSchema } from '../connectors/cassandra/spec';
import { MongoEndpointSchema } from '../connectors/mongodb/spec';
import { PostgresEndpointSchema } from '../connectors/postgres/spec';

/**
 * Every connector's endpoint schema, discriminated by `type`. Only zod schemas are imported here, never
 * drivers, so the API and CLI can validate specs without loading database clients.
 * Adding a connector = adding its spec schema to this list and its connector to src/connectors/registry.ts.
 */
export const endpointSchemas = [PostgresEndpointSchema, MongoEndpointSchema, CassandraEndpointSchema] as const;

export const connectorTypes = endpointSchemas.map((s) => s.shape.type.value);

export const EndpointSchema = z.discriminatedUnion('type', endpointSchemas, {
  error: (issue) =>
    issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator'
      ? `unknown connector type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; known: ${connectorTypes.join(', ')}`
      : undefined,
});
export type Endpoint = z.infer<typeof EndpointSchema>;
