import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { loadSpecFile, uiLink, type TemporalSettings } from '../client';
import {
  deleteJobDefinition,
  getJobDefinition,
  listJobDefinitions,
  listJobVersions,
  openControlStore,
  runSavedJob,
  saveJobDefinition,
} from '../client/saved-jobs';
import { backfillSchedule, controlSchedule, createSchedule, describeSchedule, listSchedules, scheduleUiLink, type ScheduleView } from '../client/schedules';
import type { ControlDb } from '../src/control/db';

/** `datamigrato job …` and `datamigrato schedule …`: saved jobs in the control store, schedules on Temporal. */

export interface CliContext {
  temporal: () => Promise<Client>;
  settings: () => TemporalSettings;
  out: (s: string) => void;
}

/** One control-store pool per command, closed after it so the process can exit. */
async function withDb<T>(fn: (db: ControlDb) => Promise<T>): Promise<T> {
  const db = await openControlStore();
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const print = (ctx: CliContext, json: boolean | undefined, value: unknown, text: () => string) => ctx.out(json ? JSON.stringify(value, null, 2) : text());

export function registerJobCommands(program: Command, ctx: CliContext): void {
  const job = program.command('job').description('saved job definitions (versioned, in the control store: DATAMIGRATO_CONTROL_URL)');
  job
    .command('save')
    .description('validate a spec and save it as a new version of <name> (no new version when unchanged)')
    .argument('<name>')
    .argument('<spec>', 'spec file (.yaml, .yml or .json); its `name` may be left out')
    .option('--json', 'machine-readable output')
    .action(async (name: string, file: string, o: { json?: boolean }) => {
      const spec = await loadSpecFile(file);
      const r = await withDb((db) => saveJobDefinition(db, name, spec));
      print(ctx, o.json, r, () => `${name}: version ${r.version}${r.created ? ' saved' : ' unchanged (same spec as the latest version)'}`);
    });
  job
    .command('list')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      const jobs = await withDb(listJobDefinitions);
      print(ctx, o.json, jobs, () => (jobs.length ? jobs.map((j) => `${j.name}  v${j.latestVersion}  updated ${j.updatedAt}`).join('\n') : 'no saved jobs'));
    });
  job
    .command('show')
    .argument('<name>')
    .option('--version <n>', 'a given version (default: the latest)', (v) => Number(v))
    .option('--versions', 'list the versions instead')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { version?: number; versions?: boolean; json?: boolean }) => {
      if (o.versions) {
        const vs = await withDb((db) => listJobVersions(db, name));
        return print(ctx, o.json, vs, () => vs.map((v) => `v${v.version}  ${v.createdAt}  ${v.specHash}`).join('\n'));
      }
      const j = await withDb((db) => getJobDefinition(db, name, o.version));
      print(ctx, true, j, () => '');
    });
  job
    .command('delete')
    .argument('<name>')
    .action(async (name: string) => {
      await withDb((db) => deleteJobDefinition(db, name));
      ctx.out(`${name}: deleted with all its versions`);
    });
  job
    .command('run')
    .description("start the job's latest version as a migration")
    .argument('<name>')
    .option('--id <id>', 'migration id (idempotent)')
    .option('--json', 'machine-readable output')
    .action(async (name: string, o: { id?: string; json?: boolean }) => {
      const client = await ctx.temporal();
      const r = await withDb((db) => runSavedJob(db, client, name, { taskQueue: ctx.settings().taskQueue, id: o.id }));
      const { spec: _spec, ...shown } = r;
      const link = uiLink(ctx.settings().uiUrl, ctx.settings().namespace, r.id);
      print(ctx, o.json, { ...shown, link }, () => `${r.created ? 'started' : 'already started'} ${r.id} (${name} v${r.version}: ${r.summary})\n${link}`);
    });
}

function describeText(v: ScheduleView, link: string): string {
  const lines = [
    `${v.id}  job ${v.job}  ${v.cron ? `cron "${v.cron}"` : `every ${v.every}`}  ${v.timezone}  overlap ${v.overlap}${v.paused ? '  PAUSED' : ''}`,
    `runs so far: ${v.numActionsTaken}${v.numActionsSkippedOverlap ? ` (skipped for overlap: ${v.numActionsSkippedOverlap})` : ''}`,
    ...v.recentActions.map((a) => `  ${a.takenAt}  ${a.workflowId}`),
    `next: ${v.nextActionTimes.slice(0, 3).join(', ') || '-'}`,
    ...(v.note ? [`note: ${v.note}`] : []),
    link,
  ];
  return lines.join('\n');
}

export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  const sched = program.command('schedule').description('Temporal Schedules that run a saved job (also in the Web UI and `temporal schedule`)');
  const link = (id: string) => scheduleUiLink(ctx.settings().uiUrl, ctx.settings().namespace, id);
  sched
    .command('create')
    .argument('<id>')
    .requiredOption('--job <name>', 'saved job to run (its latest version at each run)')
    .option('--cron <expr>', 'cron expression, e.g. "0 2 * * *"')
    .option('--every <duration>', 'interval instead of cron, e.g. 15m')
    .option('--timezone <tz>', 'IANA time zone for cron', 'UTC')
    .option('--overlap <policy>', 'skip | buffer_one | buffer_all | cancel_other | terminate_other | allow_all', 'skip')
    .option('--paused', 'create it paused')
    .option('--note <text>')
    .option('--json', 'machine-readable output')
    .action(
      async (
        id: string,
        o: { job: string; cron?: string; every?: string; timezone: string; overlap: string; paused?: boolean; note?: string; json?: boolean },
      ) => {
        const client = await ctx.temporal();
        const { json, ...req } = o;
        const v = await withDb((db) => createSchedule(client, db, { id, ...req, paused: Boolean(req.paused) }, { taskQueue: ctx.settings().taskQueue }));
        print(ctx, json, v, () => describeText(v, link(id)));
      },
    );
  sched
    .command('list')
    .option('--job <name>', 'only the schedules of this job')
    .option('--json', 'machine-readable output')
    .action(async (o: { job?: string; json?: boolean }) => {
      const items = await listSchedules(await ctx.temporal(), { job: o.job });
      print(ctx, o.json, items, () =>
        items.length ? items.map((s) => `${s.id}  job ${s.job}${s.paused ? '  PAUSED' : ''}  next ${s.nextActionTimes[0] ?? '-'}`).join('\n') : 'no schedules',
      );
    });
  sched
    .command('describe')
    .argument('<id>')
    .option('--json', 'machine-readable output')
    .action(async (id: string, o: { json?: boolean }) => {
      const v = await describeSchedule(await ctx.temporal(), id);
      print(ctx, o.json, v, () => describeText(v, link(id)));
    });
  const actions = [
    ['pause', 'pause', 'no runs until resumed'],
    ['resume', 'unpause', 'resume a paused schedule'],
    ['trigger', 'trigger', 'run now (even while paused)'],
    ['delete', 'delete', 'delete the schedule (running migrations go on)'],
  ] as const;
  for (const [command, action, what] of actions) {
    sched
      .command(command)
      .description(what)
      .argument('<id>')
      .option('--note <text>', 'pause/resume: the reason, shown in describe')
      .action(async (id: string, o: { note?: string }) => {
        await controlSchedule(await ctx.temporal(), id, action, { note: o.note });
        ctx.out(`${id}: ${command} done`);
      });
  }
  sched
    .command('backfill')
    .description('take the actions the schedule would have taken between --start and --end')
    .argument('<id>')
    .requiredOption('--start <iso>')
    .requiredOption('--end <iso>')
    .option('--overlap <policy>', 'overlap policy for these runs', 'allow_all')
    .action(async (id: string, o: { start: string; end: string; overlap: string }) => {
      await backfillSchedule(await ctx.temporal(), id, o);
      ctx.out(`${id}: backfill ${o.start} → ${o.end} requested`);
    });
}
