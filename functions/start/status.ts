/** The one-line live status of `npm start`: events per second through each stage, and totals. */
export interface Counts {
  generated: number;
  enriched: number;
  stored: number;
  rejected: number;
}

export function formatStatus(rate: Counts, total: Counts, note: string | undefined): string {
  const n = (x: number) => Math.round(x).toLocaleString('en');
  const line = `events/s  generated ${n(rate.generated)}  enriched ${n(rate.enriched)}  stored ${n(rate.stored)}  rejected ${n(rate.rejected)}   |  total stored ${n(total.stored)}`;
  return note === undefined ? line : `${line}  |  ${note}`;
}

export function createStatusLine(opts: {
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  enabled: boolean;
  read: () => Counts;
  everyMs?: number;
}) {
  let timer: NodeJS.Timeout | undefined;
  let last = opts.read();
  let lastAt = Date.now();
  let note: string | undefined;
  const tty = opts.stream.isTTY === true;
  const tick = () => {
    const now = Date.now();
    const cur = opts.read();
    const secs = Math.max(0.001, (now - lastAt) / 1000);
    const rate: Counts = {
      generated: (cur.generated - last.generated) / secs,
      enriched: (cur.enriched - last.enriched) / secs,
      stored: (cur.stored - last.stored) / secs,
      rejected: (cur.rejected - last.rejected) / secs,
    };
    last = cur;
    lastAt = now;
    const text = formatStatus(rate, cur, note);
    opts.stream.write(tty ? `\r\x1b[2K${text}` : `${text}\n`);
  };
  return {
    start() {
      if (opts.enabled && timer === undefined) timer = setInterval(tick, opts.everyMs ?? (tty ? 1000 : 10_000));
    },
    progress(text: string | undefined) {
      note = text;
    },
    stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      if (opts.enabled && tty) opts.stream.write('\n');
    },
  };
}
