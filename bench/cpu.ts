/**
 * CPU time per event of the processes a stage runs on: this Node process (every thread: GC helpers
 * included) and, when they run on this machine, the database server (`mariadbd`/`mysqld`) and the Kafka
 * broker (the `java` process), read from /proc (Linux; elsewhere only Node's own). Against the wall
 * time per event it says which of them a stage waits for: a process whose CPU per event is close to
 * the wall time per event is the bottleneck (BENCHMARKS.md "Where the staged aggregate's time goes").
 */
import { readdirSync, readFileSync } from 'node:fs';
import { figure, type Figure } from './figure';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux). */
const TICKS_PER_S = 100;

function pidOf(...names: string[]): string | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
  } catch {
    return undefined;
  }
  for (const name of names)
    for (const pid of entries) {
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === name) return pid;
      } catch {
        // gone meanwhile
      }
    }
  return undefined;
}

/** utime + stime of a process (`/proc/<pid>/stat`) or of one of its threads (`/proc/<pid>/task/<tid>/stat`), ms. */
function cpuMsOf(statPath: string): number | undefined {
  try {
    const fields = readFileSync(statPath, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

const processCpuMs = (pid: string) => cpuMsOf(`/proc/${pid}/stat`);
/** The main thread of a Node process is the task with the process's id; the rest are V8's (GC, compiler) and libuv's pool. */
const mainThreadCpuMs = (pid: string) => cpuMsOf(`/proc/${pid}/task/${pid}/stat`);

/**
 * CPU ms of a Node process's threads other than the main one, by thread name (`/proc/<pid>/task/<tid>/comm`).
 * Node 24 names them: `V8Worker` (V8's concurrent and parallel GC, its optimizing compiler), `libuv-worker`
 * (libuv's pool: zlib's gzip), `DelayedTaskSche`, `SignalInspector`. Node 20 names every thread `node`, so
 * there the split says nothing and is left out. A thread that ended meanwhile drops out of the sum.
 */
function helperThreadsCpuMs(pid: string): Map<string, number> {
  const out = new Map<string, number>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    if (tid === pid) continue;
    try {
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      const ms = cpuMsOf(`/proc/${pid}/task/${tid}/stat`);
      if (ms !== undefined) out.set(name, (out.get(name) ?? 0) + ms);
    } catch {
      // ended meanwhile
    }
  }
  return out;
}

/** `V8Worker` → `v8worker`, `libuv-worker` → `libuv_worker`: figure-name safe. */
const threadKey = (name: string) => name.replace(/[^A-Za-z0-9]+/g, '_').toLowerCase();

const nodeCpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export interface CpuMeter {
  /**
   * Figures `<name>.cpu.<process>` in µs of CPU per event, baseline = wall µs per event since start; for each
   * Node process also `<name>.cpu.<process>.main_thread` (JavaScript, and the GC work V8 does on it), so the
   * rest of its CPU is its helper threads (V8's concurrent GC and optimizing compiler, libuv's pool: gzip),
   * split by thread name as `<name>.cpu.<process>.threads.<thread>` where the runtime names them (Node 24).
   */
  figures(name: string, events: number): Figure[];
}

/** `others`: more processes to meter by name (the runner processes of bench/processes.ts). */
export function startCpuMeter(others: Readonly<Record<string, number>> = {}): CpuMeter {
  const servers: Record<string, string | undefined> = { mariadbd: pidOf('mariadbd', 'mysqld'), kafka: pidOf('java') };
  const nodes: Record<string, string> = { node: String(process.pid) };
  for (const [name, pid] of Object.entries(others)) servers[name] = nodes[name] = String(pid);
  const startedAt = performance.now();
  const startNode = nodeCpuMs();
  const start: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(servers)) start[name] = pid === undefined ? undefined : processCpuMs(pid);
  const startMain: Record<string, number | undefined> = {};
  const startHelpers: Record<string, Map<string, number>> = {};
  for (const [name, pid] of Object.entries(nodes)) {
    startMain[name] = mainThreadCpuMs(pid);
    startHelpers[name] = helperThreadsCpuMs(pid);
  }
  return {
    figures(name, events) {
      const wallUs = ((performance.now() - startedAt) * 1000) / events;
      const perEvent = (ms: number) => (ms * 1000) / events;
      const out = [figure(`${name}.cpu.node`, perEvent(nodeCpuMs() - startNode), 'µs/event', wallUs)];
      for (const k of Object.keys(servers)) {
        const pid = servers[k];
        const before = start[k];
        const now = pid === undefined ? undefined : processCpuMs(pid);
        if (before !== undefined && now !== undefined) out.push(figure(`${name}.cpu.${k}`, perEvent(now - before), 'µs/event', wallUs));
      }
      for (const [k, pid] of Object.entries(nodes)) {
        const before = startMain[k];
        const now = mainThreadCpuMs(pid);
        if (before !== undefined && now !== undefined)
          out.push(figure(`${name}.cpu.${k}.main_thread`, perEvent(now - before), 'µs/event', wallUs));
        const helpers = helperThreadsCpuMs(pid);
        if (helpers.size < 2) continue; // one name for every thread (Node 20): no split
        for (const [thread, ms] of helpers)
          out.push(
            figure(`${name}.cpu.${k}.threads.${threadKey(thread)}`, perEvent(ms - (startHelpers[k]!.get(thread) ?? 0)), 'µs/event', wallUs),
          );
      }
      return out;
    },
  };
}
