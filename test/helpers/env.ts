/** Where the local stack listens (scripts/stack.sh env); the defaults match the stack script. */
export const env = {
  temporalAddress: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
  namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
  pgUrl: process.env.PG_URL ?? 'postgres://postgres:postgres@127.0.0.1:55432/postgres',
  mongoUrl: process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27018/',
  cassandraContactPoints: process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042',
  cassandraLocalDc: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
};

export const uniqueSuffix = () => `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
