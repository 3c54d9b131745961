import { z } from 'zod';
import { descriptors } from '../connectors/registry';

type EndpointOption = z.ZodObject<{ type: z.ZodLiteral<string> }>;

/**
 * Every registered connector's endpoint schema, discriminated by `type`. Descriptors import zod schemas
 * only, never drivers, so the API and CLI validate specs without loading database clients.
 */
const endpointSchemas = descriptors.map((d) => d.endpointSchema) as unknown as [EndpointOption, ...EndpointOption[]];

export const connectorTypes = descriptors.map((d) => d.type);

/** An endpoint after parsing: `{ type, connection, ...the connector's own fields }`. */
export type Endpoint = { type: string; connection: unknown; [k: string]: unknown };

export const EndpointSchema = z.discriminatedUnion('type', endpointSchemas, {
  error: (issue) =>
    issue.code === 'invalid_union' && (issue as { note?: string }).note === 'No matching discriminator'
      ? `unknown connector type ${JSON.stringify((issue.input as { type?: unknown } | undefined)?.type)}; known: ${connectorTypes.join(', ')}`
      : undefined,
}) as unknown as z.ZodType<Endpoint, Endpoint>;
