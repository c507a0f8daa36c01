/** Runs `npm start` as a child process, the way a newcomer does, and reads what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export interface StartedProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /**
   * Signals the whole process tree (as Ctrl-C in a terminal does) and resolves once every process
   * in it has exited (its output pipes closed), with npm's exit code (null when npm died of the signal).
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const ROOT = resolve(__dirname, '..', '..');

export async function startProduct(args: string[], env: Record<string, string | undefined>, timeoutMs = 120_000): Promise<StartedProcess> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawn(npm, ['start', '--silent', '--', ...args], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so stop() can signal the whole tree as a terminal's Ctrl-C does
    detached: true,
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  // The product runs in a grandchild (npm → sh → node): its exit closes the pipes it inherited.
  const closed = Promise.all([child.stdout!, child.stderr!].map((s) => new Promise((r) => s.once('close', r))));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const t = setTimeout(() => reject(new Error(`npm start printed no dashboard URL within ${timeoutMs / 1000} s:\n${out}`)), timeoutMs);
    const check = () => {
      const m = /dashboard (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(t);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`npm start exited with ${code} before it was ready:\n${out}`));
    });
  });
  return {
    child,
    url,
    output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGINT') {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        // already gone
      }
      const code = await exited;
      await closed;
      return code;
    },
  };
}

export async function getJson<T>(url: string, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, { headers });
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, everyMs = 500): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`);
}
