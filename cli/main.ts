import type { Client } from '@temporalio/client';
import { Command, CommanderError, Option } from 'commander';
import {
  cancelMigration,
  CheckFailedError,
  ClientError,
  connectTemporal,
  checkAny,
  getDiff,
  getMigration,
  repairMigration,
  repairResult,
  listMigrations,
  loadSpecFile,
  pauseMigration,
  populateSpec,
  resumeMigration,
  retryJob,
  startAny,
  startMigration,
  validateAnySpec,
  uiLink,
  unavailableOr,
  validateSpec,
  InvalidSpecError,
  type MigrationView,
  type TemporalSettings,
} from '../client';
import { temporalConfig } from '../worker/config';
import { serveCodec } from './codec-server';
import { describeCheck, describeDiff, describeJobCheck, describeRepair, describeView, describeWatermarks, listTable } from './format';
import { jobWatermarks, resetJobWatermarks } from '../client/watermarks';
import { watchMigration } from './watch';
import { registerJobCommands, registerScheduleCommands } from './jobs';

/**
 * `datamigrato`: the CLI. It talks to Temporal directly with the worker's environment (TEMPORAL_ADDRESS,
 * TEMPORAL_NAMESPACE, DATAMIGRATO_TASK_QUEUE, TEMPORAL_UI_URL), so it works when the API is down.
 */

export const EXIT = {
  ok: 0,
  failed: 1, // the migration failed, validation found a mismatch, a dry run was rejected, or any other error
  invalid: 2, // invalid spec or command line
  canceled: 3, // canceled, terminated or timed out
  notFound: 4,
  unavailable: 5, // Temporal did not answer
} as const;

class Exit extends Error {
  constructor(
    readonly code: number,
    message = '',
  ) {
    super(message);
  }
}

/** Exit code for a closed migration (0 only when it completed and validation, if any, matched). */
export function exitCodeOf(v: MigrationView): number {
  switch (v.status) {
    case 'Completed': {
      // After a repair its validation decides.
      const validation = v.report?.repair?.validation ?? v.report?.validation;
      return validation && validation.status === 'mismatch' ? EXIT.failed : EXIT.ok;
    }
    case 'Failed':
      return EXIT.failed;
    case 'Canceled':
    case 'Terminated':
    case 'TimedOut':
      return EXIT.canceled;
    default:
      return EXIT.ok; // still running
  }
}

interface GlobalOpts {
  address: string;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}

export function buildProgram(): Command {
  const env = temporalConfig();
  const program = new Command();
  program
    .name('datamigrato')
    .description('Durable data migrations on Temporal: run, watch, pause, resume, cancel, check.')
    .addOption(new Option('--address <host:port>', 'Temporal frontend (TEMPORAL_ADDRESS)').default(env.address))
    .addOption(new Option('--namespace <ns>', 'Temporal namespace (TEMPORAL_NAMESPACE)').default(env.namespace))
    .addOption(new Option('--task-queue <queue>', 'task queue the workers poll (DATAMIGRATO_TASK_QUEUE)').default(env.taskQueue))
    .addOption(new Option('--ui-url <url>', 'Temporal Web UI (TEMPORAL_UI_URL)').default(env.uiUrl))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  const settings = (): TemporalSettings => {
    const o = program.opts<GlobalOpts>();
    return { address: o.address, namespace: o.namespace, taskQueue: o.taskQueue, uiUrl: o.uiUrl };
  };
  let client: Client | undefined;
  const temporal = async () => {
    if (!client) {
      try {
        client = await connectTemporal(settings());
      } catch (err) {
        throw unavailableOr(err);
      }
    }
    return client;
  };
  const link = (id: string) => uiLink(settings().uiUrl, settings().namespace, id);
  const out = (s: string) => process.stdout.write(`${s}\n`);
  const finish = async (v: MigrationView, json: boolean) => {
    out(json ? JSON.stringify(v, null, 2) : describeView(v, link(v.id)));
    throw new Exit(exitCodeOf(v));
  };

  program
    .command('run')
    .description('validate a spec (YAML or JSON) and start the migration')
    .argument('<spec>', 'spec file (.yaml, .yml or .json)')
    .option('-w, --watch', 'watch until it finishes; exit code follows the outcome')
    .option('--id <id>', 'migration id (idempotent: the same id again returns the existing migration)')
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { watch?: boolean; id?: string; json?: boolean }) => {
      const input = await loadSpecFile(file);
      const checked = validateAnySpec(input); // objects/include: a many-object job
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      const c = await temporal();
      const r = await startAny(c, checked, { taskQueue: settings().taskQueue, id: o.id });
      if (o.json && !o.watch) out(JSON.stringify({ id: r.id, runId: r.runId, created: r.created, summary: r.summary, ui: link(r.id) }, null, 2));
      else if (!o.json) {
        out(r.created ? `started ${r.id}  (${r.summary})` : `already started with this id and spec: ${r.id} — nothing new started`);
        out(`  run id:  ${r.runId}`);
        out(`  web ui:  ${link(r.id)}`);
        if (!o.watch) out(`  watch:   datamigrato watch ${r.id}`);
      }
      if (o.watch) await finish(await watchMigration(c, r.id), Boolean(o.json));
    });

  program
    .command('status')
    .description('status, live progress and the report once done (exit code follows the outcome when closed)')
    .argument('<id>', 'migration id')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      await finish(await getMigration(await temporal(), id), Boolean(o.json));
    });

  program
    .command('watch')
    .description('live progress bars (one per partition + total, rows/s, ETA) until the migration ends')
    .argument('<id>', 'migration id')
    .option('--interval <ms>', 'poll interval in ms', (v) => Number(v), 1000)
    .option('--json', 'print the final state as JSON')
    .action(async (id: string, o: { interval: number; json?: boolean }) => {
      await finish(await watchMigration(await temporal(), id, { intervalMs: o.interval }), Boolean(o.json));
    });

  program
    .command('list')
    .description('migrations from Temporal visibility, newest first')
    .option('--status <status>', 'running, queued, preparing, copying, paused, validating, completed, failed, canceled, terminated, timedout')
    .option('--name <job>', 'job name (spec.name)')
    .option('--page-size <n>', 'rows per page', (v) => Number(v), 20)
    .option('--page-token <token>', 'next page (printed at the end of the previous one)')
    .option('--json', 'machine-readable output')
    .action(async (o: { status?: string; name?: string; pageSize: number; pageToken?: string; json?: boolean }) => {
      const page = await listMigrations(await temporal(), { status: o.status, name: o.name, pageSize: o.pageSize, pageToken: o.pageToken });
      if (o.json) {
        out(JSON.stringify(page, null, 2));
        return;
      }
      out(listTable(page.items));
      if (page.nextPageToken)
        out(`\nmore: datamigrato list --page-token ${page.nextPageToken}${o.status ? ` --status ${o.status}` : ''}${o.name ? ` --name ${o.name}` : ''}`);
    });

  program
    .command('populate')
    .description('load a JSON array, NDJSON or CSV file or URL (gzip detected) into a target: a normal migration with a file source')
    .argument('<url|file>', 'a local path, file:// or http(s):// URL')
    .requiredOption('--into <target>', 'the target: a YAML/JSON file or inline text holding a target endpoint, or a whole job spec (its target is used)')
    .option('--format <format>', 'json, ndjson or csv (default: from the extension or content-type)')
    .option('--key <fields>', 'key field(s), comma-separated (default: the line number, as _line)')
    .option('--compression <c>', 'auto (gzip magic bytes), gzip or none')
    .option('--name <job>', 'job name (default: populate-<file name>)')
    .option('--batch-size <n>', 'records per batch', (v) => Number(v))
    .option('--on-record-error <policy>', 'fail or quarantine (malformed lines go to the dead letters, the report counts them)')
    .option('--on-unknown-field <policy>', 'json, reject or drop: fields the sample did not see')
    .option('--id <id>', 'migration id')
    .option('--no-watch', 'start and return instead of watching to the end')
    .option('--json', 'machine-readable output')
    .action(async (location: string, o: { into: string; id?: string; watch: boolean; json?: boolean } & Parameters<typeof populateSpec>[1]) => {
      const checked = validateSpec(await populateSpec(location, o));
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      const c = await temporal();
      const r = await startMigration(c, checked.spec, { taskQueue: settings().taskQueue, id: o.id });
      if (!o.json) out(`started ${r.id}  (${r.summary})\n  web ui:  ${link(r.id)}`);
      else if (!o.watch) out(JSON.stringify({ id: r.id, runId: r.runId, created: r.created, summary: r.summary, ui: link(r.id) }, null, 2));
      if (o.watch) await finish(await watchMigration(c, r.id), Boolean(o.json));
    });

  for (const [name, fn, what] of [
    ['pause', pauseMigration, 'pause between chunks (signal "pause")'],
    ['resume', resumeMigration, 'resume a paused migration (signal "resume")'],
    ['cancel', cancelMigration, 'cancel: chunks stop after their batch in hand'],
  ] as const) {
    program
      .command(name)
      .description(what)
      .argument('<id>', 'migration id')
      .action(async (id: string) => {
        const r = await fn(await temporal(), id);
        out(`${name} sent to ${id} (status was ${r.status})`);
      });
  }

  program
    .command('retry')
    .description('re-run only the objects a many-object job did not complete (a new run, linked to the original)')
    .argument('<id>', 'job id')
    .option('-w, --watch', 'watch the new run until it finishes; exit code follows the outcome')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { watch?: boolean; json?: boolean }) => {
      const c = await temporal();
      const r = await retryJob(c, id, { taskQueue: settings().taskQueue });
      if (o.json && !o.watch) out(JSON.stringify({ id: r.id, runId: r.runId, of: r.of, objects: r.objects, ui: link(r.id) }, null, 2));
      else if (!o.json) out(`started ${r.id}: retry of ${r.of} for ${r.objects.join(', ')}\n  web ui:  ${link(r.id)}`);
      if (o.watch) await finish(await watchMigration(c, r.id), Boolean(o.json));
    });

  program
    .command('diff')
    .description('list the keys the last validation found different: missing in the target, extra in the target, different (with fields)')
    .argument('<id>', 'migration id (or a repair id)')
    .option('--offset <n>', 'skip this many entries', (v) => Number(v), 0)
    .option('--limit <n>', 'entries to print', (v) => Number(v), 1000)
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { offset: number; limit: number; json?: boolean }) => {
      const page = await getDiff(await temporal(), id, { offset: o.offset, limit: o.limit });
      out(o.json ? JSON.stringify(page, null, 2) : describeDiff(page));
      if (page.status === 'mismatch') throw new Exit(EXIT.failed);
    });

  program
    .command('repair')
    .description('re-copy the keys of the last diff list (missing and different) and validate again; extra target rows only with --delete-extra')
    .argument('<id>', 'migration id (or a repair id, to repair what is left)')
    .option('--delete-extra', 'also delete target rows the source does not have')
    .option('--no-wait', 'start the repair and return')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { deleteExtra?: boolean; wait: boolean; json?: boolean }) => {
      const c = await temporal();
      const started = await repairMigration(c, id, { taskQueue: settings().taskQueue, deleteExtra: Boolean(o.deleteExtra) });
      if (!o.wait) {
        out(o.json ? JSON.stringify(started, null, 2) : `started repair ${started.id} of ${started.of}\n  diff:    datamigrato diff ${started.id}`);
        return;
      }
      const report = await repairResult(c, started.id);
      out(o.json ? JSON.stringify({ ...started, report }, null, 2) : describeRepair(started.id, report));
      if (report.repair.validation.status !== 'match') throw new Exit(EXIT.failed);
    });

  const watermark = program.command('watermark').description("an incremental job's watermarks in the control store (DATAMIGRATO_CONTROL_URL)");
  watermark
    .command('show')
    .description('where each source → target pair of the job stopped')
    .argument('<job>', 'job name (spec.name)')
    .option('--json', 'machine-readable output')
    .action(async (job: string, o: { json?: boolean }) => {
      const r = await jobWatermarks(job);
      out(o.json ? JSON.stringify(r, null, 2) : describeWatermarks(job, r.items));
    });
  watermark
    .command('reset')
    .description("forget the job's watermarks: its next run copies everything again")
    .argument('<job>', 'job name (spec.name)')
    .option('--json', 'machine-readable output')
    .action(async (job: string, o: { json?: boolean }) => {
      const r = await resetJobWatermarks(job);
      out(o.json ? JSON.stringify(r, null, 2) : `removed ${r.removed} watermark(s) of job ${job}`);
    });

  program
    .command('check')
    .description('dry run: validate, connect to both ends, describe the source, show a transformed sample (a many-object job: every object); writes nothing')
    .argument('<spec>', 'spec file (.yaml, .yml or .json)')
    .option('--sample <n>', 'rows to sample', (v) => Number(v), 5)
    .option('--json', 'machine-readable output')
    .action(async (file: string, o: { sample: number; json?: boolean }) => {
      const checked = validateAnySpec(await loadSpecFile(file)); // objects/include: checked object by object
      if (!checked.ok) throw new InvalidSpecError(checked.issues);
      const r = await checkAny(checked, { sampleSize: o.sample });
      out(o.json ? JSON.stringify(r, null, 2) : 'kind' in r ? describeJobCheck(r, o.sample) : describeCheck(r, o.sample));
    });

  program
    .command('codec-server')
    .description('serve the payload codec for the Web UI and `temporal --codec-endpoint` (POST /encode, /decode; DATAMIGRATO_CODEC_KEYS)')
    .option('--port <port>', 'port', (v) => Number(v), 8081)
    .option('--host <host>', 'bind address', '127.0.0.1')
    .action((o: { port: number; host: string }) => serveCodec(o.port, o.host));

  for (const register of [registerJobCommands, registerScheduleCommands]) register(program, { temporal, settings, out });
  return program;
}

function report(err: unknown): number {
  const e = unavailableOr(err);
  if (e instanceof Exit) {
    if (e.message) process.stderr.write(`${e.message}\n`);
    return e.code;
  }
  if (e instanceof CommanderError) {
    return e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help' ? EXIT.ok : EXIT.invalid;
  }
  if (e instanceof ClientError) {
    const head =
      e instanceof CheckFailedError
        ? `dry run failed at ${e.step} (${e.kind})`
        : e.issues.length
          ? e.message.slice(0, e.message.indexOf(':') >= 0 ? e.message.indexOf(':') : undefined)
          : e.message;
    const lines = [`error: ${head}`];
    if (e.issues.length) for (const i of e.issues) lines.push(`  ${i.path}: ${i.message}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    switch (e.code) {
      case 'invalid_spec':
      case 'invalid_request':
        return EXIT.invalid;
      case 'not_found':
        return EXIT.notFound;
      case 'unavailable':
        return EXIT.unavailable;
      default:
        return EXIT.failed;
    }
  }
  process.stderr.write(`error: ${(e as Error)?.message ?? String(e)}\n`);
  return EXIT.failed;
}

export async function main(argv = process.argv): Promise<number> {
  try {
    // Inside the try: a bad environment variable is reported like any other error.
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (err) {
    return report(err);
  }
}

if (require.main === module) {
  // main() reports its own errors and resolves to the exit code.
  void main().then((code) => {
    // Flush stdout/stderr before leaving (pipes are async).
    process.stdout.write('', () => process.exit(code));
  });
}
