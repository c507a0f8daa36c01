import { benchEnv, createScratch, seededWorkload, enrichInProcess } from '/work/wt/aggregate/bench/harness';
import { DEMO_SITES } from '/work/wt/aggregate/functions/generate/sites';
import { createDatabase } from '/work/wt/aggregate/functions/lib/db';
import { createSiteRegistry } from '/work/wt/aggregate/functions/sites/registry';
import { createWriter } from '/work/wt/aggregate/functions/aggregate/writer';
import { silentLogger } from '/work/wt/aggregate/functions/lib/logger';
async function go() {
  const n = Number(process.env.BENCH_EVENTS ?? 40000);
  const size = Number(process.env.FLUSH ?? 20000);
  const env = benchEnv(process.env);
  const s = await createScratch(env, DEMO_SITES);
  try {
    const enriched = await enrichInProcess(s, await seededWorkload(n));
    const db = createDatabase({ url: s.databaseUrl, logging: process.env.LOGSQL ? (q) => console.log(q.slice(0, 160)) : undefined });
    const reg = createSiteRegistry(db);
    const timing = new Map<string, [number, number, number]>();
    const orig = db.sequelize.query.bind(db.sequelize);
    (db.sequelize as unknown as { query: unknown }).query = async (sql: string, o: unknown) => {
      const t = performance.now();
      try { return await (orig as (a: string, b: unknown) => Promise<unknown>)(sql, o); } finally {
        const k = sql.replace(/\s+/g, ' ').slice(0, 60);
        const x = timing.get(k) ?? [0, 0, 0]; x[0]++; x[1] += performance.now() - t; x[2] += sql.length; timing.set(k, x);
      }
    };
    process.on('exit', () => { for (const [k, [n, ms, len]] of [...timing].sort((a, b) => b[1][1] - a[1][1]).slice(0, 25)) console.log(`${Math.round(ms)} ms ${n}x ${Math.round(len/1024)}KiB ${k}`); });
    const sites = new Map((await reg.list()).map((x) => [x.hostname, x]));
    const w = createWriter({ db, logger: silentLogger, maxBatch: size, pruneIntervalMs: 0 });
    const t0 = performance.now();
    for (let i = 0; i < enriched.length; i += size) {
      const t = performance.now();
      await w.add(enriched.slice(i, i + size).map((event) => ({ event, site: sites.get(event.data.site)! })));
      console.log(`flush ${i / size}: ${Math.round(performance.now() - t)} ms`);
    }
    console.log(`${enriched.length} events in ${Math.round(performance.now() - t0)} ms: ${Math.round(enriched.length / ((performance.now() - t0) / 1000))} ev/s`, JSON.stringify(w.stats()));
    await w.close();
    await db.close();
  } finally {
    await s.drop();
  }
  process.exit(0);
}
void go();
