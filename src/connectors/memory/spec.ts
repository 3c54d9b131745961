import { z } from 'zod';

const name = z.string().min(1).max(200);

export const MemoryConnectionSchema = z
  .object({
    store: name.describe(
      'Name of a process-global in-memory store (no secrets). The store named "denied" simulates rejected credentials: check() throws an AuthError.',
    ),
  })
  .strict();

export const MemoryEndpointSchema = z
  .object({
    type: z.literal('memory'),
    connection: MemoryConnectionSchema,
    object: name.describe('The object (table) inside the store'),
    key: z
      .union([name, z.array(name).min(1).max(32)])
      .optional()
      .describe('Key field(s) in key order; defaults to the key the object was created or seeded with'),
  })
  .strict();

export type MemoryEndpoint = z.infer<typeof MemoryEndpointSchema>;
