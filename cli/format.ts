import type { DiffPage, DryRunResult, JobDryRunResult, MigrationSummary, MigrationView } from '../client';
import type { DiffSummary } from '../src/validation/diff-types';
import type { RepairReport, RepairWorkflowReport, Validation, WatermarkReport } from '../workflows/types';
import type { Watermark } from '../src/incremental/window';
import type { StoredWatermark } from '../src/incremental/watermark-store';
import type { JobProgress, JobReport } from '../workflows/job-types';

export const num = (n: number | null | undefined) => (n === null || n === undefined ? '?' : Math.round(n).toLocaleString('en-US'));

export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '--';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export const pct = (done: number, total: number | null) => (total && total > 0 ? `${Math.min(100, Math.floor((done / total) * 100))}%` : '?%');

/** Multi-line human view of one migration (the `status` command, and the end of `watch`). */
export function describeView(v: MigrationView, ui: string): string {
  const lines: string[] = [];
  lines.push(`id:        ${v.id}`);
  lines.push(`status:    ${v.status}${v.closed ? '' : ' (running)'}   [execution ${v.executionStatus}]`);
  lines.push(`job:       ${v.job ?? '?'}${v.summary ? `   ${v.summary}` : ''}`);
  lines.push(`started:   ${v.startTime}${v.closeTime ? `   closed: ${v.closeTime}` : ''}`);
  const p = v.progress;
  if (p) {
    lines.push(
      `progress:  ${num(p.rows)} / ${num(p.estimatedRows)} rows (${pct(p.rows, p.estimatedRows)})  ${num(p.rowsPerSecond)} rows/s  ETA ${duration(p.etaSeconds)}` +
        `${p.paused && !v.closed ? '  PAUSED' : ''}${p.quarantined ? `  quarantined ${num(p.quarantined)}` : ''}`,
    );
    const objects = (p as Partial<JobProgress>).objects;
    for (const part of p.partitions) {
      const label = objects ? `${objects[part.id]?.status ?? ''} ${objects[part.id]?.name ?? part.id}` : `p${String(part.id).padEnd(3)}`;
      lines.push(`  ${label} ${part.state.padEnd(8)} ${num(part.rows).padStart(12)} / ${num(part.estimatedRows).padEnd(12)} ${num(part.rowsPerSecond)} rows/s`);
    }
  } else if (v.progressError && !v.closed) {
    lines.push(`progress:  unavailable (${v.progressError})`);
  }
  if (v.report) {
    const val = v.report.validation;
    lines.push(
      `report:    ${num(v.report.rows)} rows, ${num(v.report.rowsPerSecond)} rows/s, quarantined ${num(v.report.quarantined)}, ` +
        `${v.report.filtered ? `filtered ${num(v.report.filtered)}, ` : ''}` +
        `validation ${val ? val.status : 'none'}${val && 'source' in val ? ` (source ${num(val.source.count)} / target ${num(val.target.count)})` : ''}, ` +
        `total ${duration(v.report.timings.totalMs / 1000)}`,
    );
    if (val && 'diff' in val && val.diff) lines.push(`diff:      ${diffLine(val.diff)}   (datamigrato diff ${v.id})`);
    if (v.report.repair) lines.push(`repair:    ${repairLine(v.report.repair)}`);
    if (v.report.incremental) lines.push(`watermark: ${watermarkLine(v.report.incremental)}`);
  } else if (v.jobReport) {
    lines.push(...jobLines(v.jobReport, v.id));
  } else if (v.outcome) {
    lines.push(`outcome:   ${v.outcome.status}, ${num(v.outcome.rows)} rows written`);
  }
  if (v.failure) lines.push(`failure:   ${v.failure.type ? `[${v.failure.type}] ` : ''}${v.failure.message}`);
  lines.push(`web ui:    ${ui}`);
  return lines.join('\n');
}

const tuple = (w: Watermark | null) => (w ? `(${w.cursor ?? 'NULL'}, ${w.key.join(', ')})` : 'none');

/** An incremental run's window: where it started, where it left the watermark, up to which bound it read. */
export const watermarkLine = (w: WatermarkReport) =>
  `${tuple(w.from)} → ${tuple(w.to)} (${w.outcome}; bound ${w.upTo ?? 'none'}${w.nullRows ? `; ${num(w.nullRows)} NULL-cursor rows` : ''})`;

export function describeWatermarks(job: string, items: StoredWatermark[]): string {
  if (!items.length) return `no watermarks for job ${job} (its next incremental run copies everything)`;
  return table([
    ['SOURCE', 'TARGET', 'WATERMARK', 'BOUND', 'ROWS', 'RUN', 'UPDATED'],
    ...items.map((w) => [w.source, w.target, tuple(w.watermark), String(w.upTo ?? '-'), num(w.rows), w.runId, w.updatedAt]),
  ]);
}

/** A many-object job's report: a total, one line per object, the foreign keys, and how to retry the failed ones. */
function jobLines(r: JobReport, id: string): string[] {
  const lines = [
    `report:    ${r.status}: ${num(r.rows)} rows in ${r.objects.length} objects, ${num(r.rowsPerSecond)} rows/s, total ${duration(r.timings.totalMs / 1000)}`,
  ];
  for (const o of r.objects) {
    const counts = o.sourceCount !== null ? ` (source ${num(o.sourceCount)} / target ${num(o.targetCount)})` : '';
    lines.push(
      `  ${o.status.padEnd(9)} ${o.name} → ${o.target}  ${num(o.rows)} rows, validation ${o.validation ?? '-'}${counts}${o.error ? `  ${o.error}` : ''}`,
    );
  }
  const fks = r.foreignKeys ?? [];
  if (fks.length) {
    const by = (s: string) => fks.filter((f) => f.status === s).length;
    lines.push(`foreign keys: ${by('added')} added, ${by('exists')} existed, ${by('skipped')} skipped, ${by('failed')} failed`);
    for (const f of fks.filter((x) => x.status === 'failed' || x.status === 'skipped')) lines.push(`  ${f.status} ${f.object} ${f.name}: ${f.reason ?? ''}`);
  }
  if (r.failed.length) lines.push(`retry:     datamigrato retry ${id}   (re-runs ${r.failed.join(', ')})`);
  return lines;
}

export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export function listTable(items: MigrationSummary[]): string {
  if (!items.length) return '(no migrations)';
  return table([
    ['ID', 'STATUS', 'JOB', 'SOURCE→TARGET', 'ROWS', 'STARTED'],
    ...items.map((m) => [m.id, m.status, m.job ?? '?', `${m.source ?? '?'}→${m.target ?? '?'}`, m.rows === null ? '-' : num(m.rows), m.startTime]),
  ]);
}

export function describeCheck(r: DryRunResult, sampleRows = 5): string {
  const lines: string[] = [];
  lines.push(`spec ok: ${r.summary}`);
  lines.push(
    `source:  ${r.source.object}  key (${r.source.schema.key.join(', ')}), ${r.source.schema.fields.length} fields, ~${num(r.source.estimatedRows)} rows in ${r.source.partitions} partitions`,
  );
  lines.push(`target:  ${r.target.object}  ${r.target.exists ? 'exists (rows are upserted by key)' : 'does not exist (a run creates it)'}`);
  lines.push(`target schema: ${r.targetSchema.fields.map((f) => `${f.name}:${f.type}${r.targetSchema.key.includes(f.name) ? '*' : ''}`).join(', ')}`);
  lines.push(`sample (${r.sample.length} rows after transforms; nothing was written):`);
  for (const row of r.sample.slice(0, sampleRows)) lines.push(`  ${JSON.stringify(row)}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  lines.push(`checked in ${r.elapsedMs} ms`);
  return lines.join('\n');
}

/** The `check` of a many-object job: one block per object, after the plan. */
export function describeJobCheck(r: JobDryRunResult, sampleRows = 2): string {
  const head = `job ok: ${r.summary}${r.foreignKeys ? '; foreign keys would be added after the data' : ''}`;
  const blocks = r.objects.map((o) => `── ${o.name} → ${o.target}\n${describeCheck(o.check, sampleRows)}`);
  return [head, ...blocks, `checked in ${r.elapsedMs} ms`].join('\n');
}

export const diffLine = (d: DiffSummary) =>
  `${num(d.missing)} missing, ${num(d.extra)} extra, ${num(d.different)} different (${d.scope}, ${num(d.listed)} listed${d.limitHit ? ', validate.maxDiffs reached' : ''})`;

const validationLine = (v: Validation) => `${v.status}${v.diff ? `; ${diffLine(v.diff)}` : ''}`;

export const repairLine = (r: RepairReport) =>
  `${num(r.rewritten)} re-copied, ${num(r.deleted)} deleted, ${num(r.notInSource)} gone from the source, ${num(r.extraNotDeleted)} extra left` +
  `${r.quarantined ? `, ${num(r.quarantined)} quarantined` : ''}${r.note ? ` (${r.note})` : ''}; validation after: ${validationLine(r.validation)}`;

/** The `diff` command: a summary line, then one line per listed key. */
export function describeDiff(p: DiffPage): string {
  const head = `${p.id}: ${p.from === 'repair' ? 'after repair, ' : ''}validation ${p.status}; ${diffLine(p.diff)}`;
  if (!p.items.length) return `${head}\n(no entries${p.diff.listed ? ' at this offset' : ''})`;
  const rows = p.items.map((e) => [e.kind, JSON.stringify(e.key), e.fields?.join(', ') ?? '']);
  const more = p.nextOffset !== null ? `\nmore: datamigrato diff ${p.id} --offset ${p.nextOffset}` : '';
  return `${head}\n${table([['KIND', 'KEY', 'FIELDS'], ...rows])}${more}`;
}

export const describeRepair = (id: string, r: RepairWorkflowReport) => `repair ${id} of ${r.of}: ${repairLine(r.repair)}`;
