// Preloaded into the worker (NODE_OPTIONS=--require, which refuses --cpu-prof): profiles the whole process and
// writes a .cpuprofile into BENCH_CPU_PROF_DIR when it exits. The in-thread inspector session answers synchronously.
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 1000 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(join(process.env.BENCH_CPU_PROF_DIR, `worker-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
  });
});
