import { z } from 'zod';
import { urlConnectionSchema } from '../../job/secret-ref';

const identifier = z.string().min(1).max(64).describe('A MySQL/MariaDB identifier (quoted with backticks as given)');

export const MysqlConnectionSchema = urlConnectionSchema('mysql://user:password@host:port/database connection URL, as a secret reference');

export const MysqlEndpointSchema = z
  .object({
    type: z.literal('mysql'),
    connection: MysqlConnectionSchema,
    database: identifier.optional().describe("The table's database; defaults to the database of the connection URL"),
    table: identifier,
    key: z
      .union([identifier, z.array(identifier).min(1).max(16)])
      .optional()
      .describe('Key column(s), unique and non-null per row, in key order; defaults to the primary key (one or several columns)'),
    writeMode: z
      .enum(['upsert', 'loadData'])
      .default('upsert')
      .describe(
        'upsert: multi-row INSERT … ON DUPLICATE KEY UPDATE; loadData: LOAD DATA LOCAL INFILE into a temp table, then INSERT … SELECT … ON DUPLICATE KEY UPDATE',
      ),
  })
  .strict();

export type MysqlEndpoint = z.infer<typeof MysqlEndpointSchema>;
