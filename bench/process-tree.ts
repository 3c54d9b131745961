import { readFileSync, readdirSync } from 'node:fs';

/** Peak resident set (VmHWM, MB) over a process and its descendants: tsx runs the worker in a child node. */
export function peakRssMb(rootPid: number): number {
  let peak = 0;
  const visit = (pid: number) => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (kids) kids.split(/\s+/).map(Number).forEach(visit);
      }
    } catch {
      // the process ended between listing and reading
    }
  };
  visit(rootPid);
  return Math.round(peak);
}
