/**
 * Preloaded into a runner (`node --import tsx --import test/reliability/fault-arm.ts …`) by the crash
 * suite: `WTM_FAULT_ARM=<point>:<n>` makes the process SIGKILL itself at the n-th time it reaches that
 * fault point (functions/lib/fault.ts) — e.g. `aggregate.before-commit:2` dies just before the second
 * flush's COMMIT. One line on stderr says where, for the suite's tally. A test-only module: production
 * never installs a handler.
 */
import { writeSync } from 'node:fs';
import { FAULT_POINTS, type FaultPoint } from '../../functions/lib/fault';

const SLOT = Symbol.for('webtrafficmonitor.fault-handler');

const spec = process.env.WTM_FAULT_ARM ?? '';
const m = /^([a-z.-]+):(\d+)$/.exec(spec);
if (m !== null) {
  const point = m[1] as FaultPoint;
  if (!FAULT_POINTS.includes(point)) throw new Error(`WTM_FAULT_ARM: unknown fault point ${point}`);
  const at = Number(m[2]);
  let hits = 0;
  (globalThis as { [SLOT]?: (p: FaultPoint) => void })[SLOT] = (p) => {
    if (p !== point || ++hits !== at) return;
    // Synchronous, so nothing after this line runs: the statement, the COMMIT or the offset commit is never sent.
    writeSync(2, `FAULT ${point} #${at}: SIGKILL\n`);
    process.kill(process.pid, 'SIGKILL');
  };
} else if (spec !== '') throw new Error(`WTM_FAULT_ARM="${spec}" is not <point>:<n>`);
