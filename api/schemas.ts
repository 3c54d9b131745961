import { z } from 'zod';
import type { DryRunResult, JobDryRunResult, MigrationList, MigrationOutcome, MigrationSummary, MigrationView, StartResult, ControlResult } from '../client';
import { MIGRATION_STATUSES } from '../client/migrations';
import { JOB_NAME_PATTERN, JOB_NAME_RULE, MIGRATION_ID_PATTERN } from '../src/names';
import { JobSpecSchema, VALIDATION_MODES } from '../src/job/job-spec';
import { FIELD_TYPES } from '../src/transform/steps';
import type { MigrationProgress, MigrationReport } from '../workflows/types';
import { JobReportSchema } from './job-schemas';

/**
 * zod schemas of everything the API accepts and returns. /openapi.json is generated from these (api/openapi.ts),
 * requests are validated with them, and each response schema is checked at compile time against the
 * TypeScript type the client module returns (the `Same<>` lines), so the document cannot drift from the code.
 */

/** Compile-time: A and B are mutually assignable. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Check<T extends true> = T;

export const JobSpec = JobSpecSchema.meta({ id: 'JobSpec', description: 'A migration job: source, target, batching, transforms, validation' });

export const MigrationId = z
  .string()
  .regex(MIGRATION_ID_PATTERN)
  .meta({ id: 'MigrationId', description: 'Workflow id of a migration', example: 'migration-orders-1f0c…' });

export const StartRequest = z
  .object({
    spec: JobSpec,
    id: MigrationId.optional().describe('Client-chosen id: starting twice with the same id starts one migration'),
  })
  .strict()
  .meta({ id: 'StartRequest', description: 'A spec with options; POST /migrations also accepts a bare JobSpec' });

const ProblemIssue = z.object({ path: z.string().describe('JSON path of the field at fault, e.g. source.connection.url'), message: z.string() });

export const Problem = z
  .object({
    type: z.string().describe('URI identifying the problem type'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(ProblemIssue).optional().describe('one entry per failing field'),
    step: z.string().optional().describe('dry run: the step that failed (source.check, transform, …)'),
    kind: z.string().optional().describe('dry run: the engine error kind (ConfigError, AuthError, SchemaError, TransientError)'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' });

const Links = z.object({ self: z.string(), ui: z.string().describe('The workflow in the Temporal Web UI') });

export const StartResponse = z
  .object({
    id: z.string(),
    runId: z.string(),
    created: z.boolean().describe('false: the id already named this migration; nothing new was started'),
    summary: z.string(),
    links: Links,
  })
  .meta({ id: 'StartResponse' });
type _Start = Check<Same<Omit<z.infer<typeof StartResponse>, 'links'>, Omit<StartResult, 'spec'>>>;

const Phase = z.enum(['preparing', 'copying', 'paused', 'validating', 'completed', 'failed', 'canceled']);
const Nullable = <T extends z.ZodType>(t: T) => t.nullable();
/**
 * A registered (component) schema that may be null. Not `.nullable()`: zod-to-openapi 9 would then mark the
 * shared component itself nullable; a union keeps the component exact and emits anyOf [$ref, null].
 */
const orNull = <T extends z.ZodType>(t: T) => z.union([t, z.null()]);

export const PartitionProgress = z.object({
  id: z.number().int(),
  state: z.enum(['pending', 'copying', 'done']),
  rows: z.number().int(),
  estimatedRows: Nullable(z.number()),
  quarantined: z.number().int(),
  rowsPerSecond: z.number(),
  etaSeconds: Nullable(z.number()),
});

export const MigrationProgressSchema = z
  .object({
    job: z.string(),
    phase: Phase,
    paused: z.boolean(),
    rows: z.number().int(),
    estimatedRows: Nullable(z.number()),
    quarantined: z.number().int(),
    filtered: z.number().int().describe('source rows a filter step left out so far'),
    rowsPerSecond: z.number(),
    etaSeconds: Nullable(z.number()),
    partitions: z.array(PartitionProgress),
  })
  .meta({ id: 'MigrationProgress', description: 'Live numbers from the workflow’s `progress` query' });
type _Progress = Check<Same<z.infer<typeof MigrationProgressSchema>, MigrationProgress>>;

const Digest = z.object({ count: z.number().int(), sum: z.string().describe('64-bit checksum, 16 hex digits') }).meta({ id: 'Digest' });
const KeyValue = z.union([z.string(), z.number()]);

export const DiffSummarySchema = z
  .object({
    ref: z.string().describe('the list, relative to DATAMIGRATO_DIFF_DIR'),
    scope: z.enum(['full', 'sample']),
    missing: z.number().int(),
    extra: z.number().int(),
    different: z.number().int(),
    listed: z.number().int(),
    limitHit: z.boolean().describe('more differences exist than validate.maxDiffs listed'),
    keysCompared: z.number().int(),
    passes: z.number().int(),
  })
  .meta({ id: 'DiffSummary' });

const Compared = z.object({
  status: z.enum(['match', 'mismatch']),
  source: Digest,
  target: Digest,
  mismatchedBuckets: z.array(z.object({ bucket: z.number().int(), source: Digest, target: Digest })),
  mode: z.enum(VALIDATION_MODES).optional(),
  diff: DiffSummarySchema.optional(),
  pushdown: z
    .object({ kind: z.string(), status: z.enum(['match', 'mismatch']) })
    .optional()
    .describe(
      "both stores checksummed their rows themselves (validation pushdown): on a match the digests are the stores' own, on a mismatch the canonical re-check's",
    ),
});

const Validation = z.union([Compared, z.object({ status: z.literal('skipped') })]).nullable();

export const RepairReportSchema = z
  .object({
    rewritten: z.number().int(),
    notInSource: z.number().int(),
    deleted: z.number().int(),
    extraNotDeleted: z.number().int(),
    quarantined: z.number().int(),
    note: z.string().optional(),
    validation: Compared,
  })
  .meta({ id: 'RepairReport', description: 'What repair re-copied and deleted, and the validation after it' });

export const DiffPageSchema = z
  .object({
    id: z.string(),
    from: z.enum(['validation', 'repair']),
    status: z.enum(['match', 'mismatch']),
    diff: DiffSummarySchema,
    items: z.array(
      z.object({
        kind: z.enum(['missing', 'extra', 'different']),
        key: z.record(z.string(), z.unknown()),
        fields: z.array(z.string()).optional(),
      }),
    ),
    nextOffset: z.number().int().nullable(),
  })
  .meta({ id: 'DiffPage', description: 'Keys the last validation found different' });

export const DiffQuery = z
  .object({
    offset: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(10_000).optional(),
  })
  .strict();

export const RepairRequest = z.object({ deleteExtra: z.boolean().default(false) }).strict();

export const RepairStartSchema = z
  .object({ id: z.string(), runId: z.string(), of: z.string(), diff: DiffSummarySchema })
  .meta({ id: 'RepairStart', description: 'The repair workflow started' });

const WatermarkSchema = z
  .object({ cursor: KeyValue.nullable(), key: z.array(KeyValue) })
  .meta({ id: 'Watermark', description: 'The last (cursor, key) tuple an incremental run read' });

const WatermarkReportSchema = z.object({
  from: WatermarkSchema.nullable(),
  to: WatermarkSchema.nullable(),
  upTo: KeyValue.nullable().describe("the run's upper cursor bound: the source clock at its start minus lagSeconds, or the greatest integer cursor"),
  nullRows: z.number().int().describe('source rows with a NULL cursor at the run start'),
  outcome: z.enum(['advanced', 'already', 'unchanged']),
  deleted: z.number().int().optional().describe('target rows deleted because the source marked them (incremental.softDelete)'),
});

export const WatermarkListSchema = z
  .object({
    job: z.string(),
    items: z.array(
      z.object({
        job: z.string(),
        source: z.string().describe('<type>:<object>'),
        target: z.string().describe('<type>:<object>'),
        watermark: WatermarkSchema,
        upTo: KeyValue.nullable(),
        runId: z.string().describe('the run that set it'),
        rows: z.number().int().describe('rows that run wrote'),
        updatedAt: z.string(),
      }),
    ),
  })
  .meta({ id: 'WatermarkList', description: "An incremental job's watermarks, one per source and target object" });

export const WatermarkResetSchema = z
  .object({ job: z.string(), removed: z.number().int() })
  .meta({ id: 'WatermarkReset', description: 'Watermarks removed: the next run copies everything again' });

export const JobParams = z.object({ job: z.string().describe('the job name (spec.name)') });

export const MigrationReportSchema = z
  .object({
    job: z.string(),
    status: z.enum(['completed', 'canceled']),
    source: z.object({ type: z.string(), object: z.string().nullable() }),
    target: z.object({ type: z.string(), object: z.string().nullable() }),
    rows: z.number().int(),
    quarantined: z.number().int(),
    droppedFields: z.number().int().describe('field values left out because onUnknownField is drop'),
    filtered: z.number().int().describe('source rows a filter step left out (not written, not expected by validation)'),
    rowsPerSecond: z.number(),
    copyDigest: Digest.nullable(),
    partitions: z.array(
      z.object({
        id: z.number().int(),
        lower: KeyValue.nullable(),
        upper: KeyValue.nullable(),
        rows: z.number().int(),
        quarantined: z.number().int(),
        chunks: z.number().int(),
        resumes: z.number().int(),
        digest: Digest,
        done: z.boolean(),
      }),
    ),
    validation: Validation,
    repair: RepairReportSchema.optional(),
    incremental: WatermarkReportSchema.optional().describe('mode incremental: the watermark before and after this run'),
    timings: z.object({ startedAt: z.string(), prepareMs: z.number(), copyMs: z.number(), validateMs: z.number(), totalMs: z.number() }),
    continuedAsNew: z.number().int(),
  })
  .meta({ id: 'MigrationReport', description: 'The workflow result: counts, checksums, validation and timings' });
type _Report = Check<Same<z.infer<typeof MigrationReportSchema>, MigrationReport>>;

const Outcome = z
  .object({
    status: z.string(),
    rows: z.number().int(),
    quarantined: z.number().int(),
    rowsPerSecond: z.number(),
    validation: z.string().nullable(),
    partitions: z.number().int(),
  })
  .meta({ id: 'MigrationOutcome', description: 'Summary the workflow writes to its memo when it completes or is canceled' });
type _Outcome = Check<Same<z.infer<typeof Outcome>, MigrationOutcome>>;

const ExecutionStatus = z.enum([
  'UNSPECIFIED',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
  'PAUSED',
  'UNKNOWN',
]);
export const MigrationStatusSchema = z.enum(MIGRATION_STATUSES).meta({
  id: 'MigrationStatus',
  description: 'The workflow phase while it runs (Queued until a worker picks it up), the execution outcome once closed',
});

const summaryShape = {
  id: z.string(),
  runId: z.string(),
  status: MigrationStatusSchema,
  executionStatus: ExecutionStatus,
  job: z.string().nullable(),
  source: z.string().nullable().describe('source connector type'),
  target: z.string().nullable().describe('target connector type'),
  rows: z.number().int().nullable().describe('rows copied, as last published to visibility'),
  taskQueue: z.string(),
  startTime: z.string(),
  closeTime: z.string().nullable(),
  outcome: orNull(Outcome),
};

export const MigrationSummarySchema = z.object({ ...summaryShape, links: Links }).meta({ id: 'MigrationSummary' });
type _Summary = Check<Same<Omit<z.infer<typeof MigrationSummarySchema>, 'links'>, MigrationSummary>>;

export const MigrationListSchema = z
  .object({
    items: z.array(MigrationSummarySchema),
    nextPageToken: z.string().nullable().describe('pass as pageToken for the next page; null on the last page'),
    query: z.string().describe('the visibility query that was run'),
  })
  .meta({ id: 'MigrationList' });
type _List = Check<Same<Omit<z.infer<typeof MigrationListSchema>, 'items'>, Omit<MigrationList, 'items'>>>;

export const MigrationViewSchema = z
  .object({
    ...summaryShape,
    summary: z.string().nullable().describe('e.g. "postgres public.a → postgres public.b"'),
    closed: z.boolean(),
    progress: orNull(MigrationProgressSchema),
    progressError: z.string().nullable().describe('why progress is null (no worker answered the query in time)'),
    report: orNull(MigrationReportSchema).describe('set once the migration completed'),
    jobReport: orNull(JobReportSchema).describe('a many-object job: set once it ended (report is then null)'),
    failure: z.object({ type: z.string().nullable(), message: z.string() }).nullable(),
    links: Links,
  })
  .meta({ id: 'Migration' });
type _View = Check<Same<Omit<z.infer<typeof MigrationViewSchema>, 'links'>, MigrationView>>;

export const ControlResponse = z
  .object({
    id: z.string(),
    runId: z.string(),
    action: z.enum(['pause', 'resume', 'cancel']),
    status: MigrationStatusSchema.describe('status when the request was sent; the change is asynchronous'),
    links: Links,
  })
  .meta({ id: 'ControlResponse' });
type _Control = Check<Same<Omit<z.infer<typeof ControlResponse>, 'links'>, ControlResult>>;

const FieldType = z.enum(FIELD_TYPES);
const FieldSchemaSchema = z
  .object({
    name: z.string(),
    type: FieldType,
    nullable: z.boolean(),
    nativeType: z.string().optional(),
    nativeOf: z.string().optional(),
    get fields() {
      return z.array(FieldSchemaSchema).optional().describe('the sampled shape of a json field holding objects');
    },
  })
  .meta({ id: 'FieldSchema' });

const ObjectSchemaSchema = z
  .object({
    object: z.string(),
    key: z.array(z.string()).min(1).describe('key fields in key order (several for a composite key)'),
    fields: z.array(FieldSchemaSchema),
  })
  .meta({ id: 'ObjectSchema' });

export const DryRunResponse = z
  .object({
    ok: z.literal(true),
    summary: z.string(),
    spec: JobSpec,
    source: z.object({ type: z.string(), object: z.string(), schema: ObjectSchemaSchema, partitions: z.number().int(), estimatedRows: z.number().nullable() }),
    target: z.object({ type: z.string(), object: z.string(), exists: z.boolean(), schema: orNull(ObjectSchemaSchema) }),
    targetSchema: ObjectSchemaSchema,
    sample: z.array(z.record(z.string(), z.any())).describe('a few rows of the first partition after the transforms (bytes as {$base64}, int64 as strings)'),
    warnings: z.array(z.string()),
    elapsedMs: z.number(),
  })
  .meta({ id: 'DryRunResult' });
type _DryRun = Check<Same<z.infer<typeof DryRunResponse>, DryRunResult>>;

export const JobDryRunResponse = z
  .object({
    ok: z.literal(true),
    kind: z.literal('job'),
    summary: z.string(),
    objects: z.array(z.object({ name: z.string(), target: z.string(), check: DryRunResponse })).describe('each object a run would migrate, checked'),
    foreignKeys: z.boolean().describe('foreign keys would be added after the data'),
    elapsedMs: z.number(),
  })
  .meta({ id: 'JobDryRunResult' });
type _JobDryRun = Check<Same<z.infer<typeof JobDryRunResponse>, JobDryRunResult>>;

export const ConnectorInfo = z
  .object({
    type: z.string(),
    description: z.string(),
    capabilities: z.object({
      source: z.boolean(),
      target: z.boolean(),
      documentStore: z.boolean().optional().describe('keeps fields a schema did not foresee as they are (onUnknownField: json)'),
      passthrough: z.boolean().optional().describe('supports passthrough: true between two endpoints of this type'),
      storeDigest: z.string().optional().describe('validation pushdown: the digest kind this store computes itself (both endpoints must name the same one)'),
      notes: z.array(z.string()),
    }),
    endpointSchema: z.record(z.string(), z.any()).describe('JSON Schema of this connector’s endpoint block'),
  })
  .meta({ id: 'Connector' });
export const ConnectorList = z.object({ items: z.array(ConnectorInfo) }).meta({ id: 'ConnectorList' });

export const Health = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    temporal: z.object({ ok: z.boolean(), address: z.string(), namespace: z.string(), error: z.string().optional() }),
  })
  .meta({ id: 'Health' });

export const ListQuery = z
  .object({
    status: z
      .string()
      .regex(new RegExp(`^(running|${MIGRATION_STATUSES.join('|')})$`, 'i'), {
        error: (i) => `unknown status "${String(i.input)}"; one of: running, ${MIGRATION_STATUSES.map((x) => x.toLowerCase()).join(', ')}`,
      })
      .optional()
      .describe(`running, or one of: ${MIGRATION_STATUSES.map((s) => s.toLowerCase()).join(', ')} (case-insensitive)`),
    name: z
      .string()
      .regex(JOB_NAME_PATTERN, { error: `a job name: ${JOB_NAME_RULE}` })
      .optional()
      .describe('job name (spec.name), exact'),
    pageSize: z.coerce.number().int().min(1).max(1000).optional().describe('default 20'),
    pageToken: z.string().optional().describe('nextPageToken of the previous page'),
  })
  .strict();

export const IdParams = z.object({ id: z.string().describe('migration id (the workflow id)') });

export type { _Start, _Progress, _Report, _Outcome, _Summary, _List, _View, _Control, _DryRun };
