/**
 * Renders every kustomization under knative/ and infra/ (base and overlays), validates every
 * resource strictly (test/deploy/validate.ts) and checks that the pieces fit together: sinks name
 * real Services, topics are the contract's, env vars are exactly what each function reads, one
 * image tag, probes on the entry's real endpoints, Secrets and Kafka addresses that resolve.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { topicNames } from '../../events/types';
import { HEALTH_PATH, READY_PATH, TARGETS } from '../../functions/index';
import { isObject, imageName, render, type Json, type JsonObject, type Resource } from './kustomize';
import { validateResource } from './validate';
import { envNamesIn, envReads } from './env-reads';
import { KUSTOMIZATIONS, ROOT } from './repo';

const IMAGE = 'ghcr.io/webtrafficmonitor/wtm';
const NAMESPACE = 'wtm';
/** An environment = what is applied together. */
const ENVIRONMENTS = {
  base: ['infra/base', 'knative/base'],
  dev: ['infra/overlays/dev', 'knative/overlays/dev'],
  production: ['infra/overlays/production', 'knative/overlays/production'],
} as const;
/** Secrets created out of band where no overlay generates them (knative/README.md lists them). */
const OUT_OF_BAND_SECRETS: Record<string, readonly string[]> = {
  'wtm-secrets': ['DATABASE_URL', 'WTM_SALT_SECRET'],
  'wtm-mysql': ['password', 'root-password'],
};
/**
 * Variables a function may read that the manifests must not set: Knative sets PORT (and reserves
 * it) and the K_* names; K_SINK stays unset on purpose (functions produce with kafkajs).
 */
const PLATFORM_VARS = new Set(['PORT', 'K_SINK', 'K_SERVICE', 'K_REVISION', 'K_CONFIGURATION', 'NODE_ENV']);

const rendered = new Map<string, Resource[]>(KUSTOMIZATIONS.map((k) => [k, render(resolve(ROOT, k))]));
const envResources = (env: keyof typeof ENVIRONMENTS): Resource[] => ENVIRONMENTS[env].flatMap((k) => rendered.get(k) ?? []);

function get(o: Json | undefined, ...path: (string | number)[]): Json | undefined {
  let cur: Json | undefined = o;
  for (const p of path) {
    if (typeof p === 'number') cur = Array.isArray(cur) ? cur[p] : undefined;
    else cur = isObject(cur) ? cur[p] : undefined;
  }
  return cur;
}
const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');
const objects = (v: Json | undefined): JsonObject[] => (Array.isArray(v) ? v.filter(isObject) : []);
const byKind = (rs: Resource[], apiVersion: string, kind: string): Resource[] =>
  rs.filter((r) => r.apiVersion === apiVersion && r.kind === kind);
const knServices = (rs: Resource[]) => byKind(rs, 'serving.knative.dev/v1', 'Service');
const container = (r: Resource): JsonObject => objects(get(r, 'spec', 'template', 'spec', 'containers'))[0] ?? {};
const envList = (c: JsonObject): JsonObject[] => objects(c.env);
const envValue = (c: JsonObject, name: string): string => str(envList(c).find((e) => e.name === name)?.value);

/** Every container of every workload (Knative Services, StatefulSets, Jobs). */
function containers(rs: Resource[]): { owner: string; c: JsonObject }[] {
  return rs.flatMap((r) =>
    objects(get(r, 'spec', 'template', 'spec', 'containers')).map((c) => ({ owner: `${r.kind}/${r.metadata.name}`, c })),
  );
}

describe.each(KUSTOMIZATIONS)('%s', (k) => {
  const resources = rendered.get(k) ?? [];

  it('renders resources', () => {
    expect(resources.length).toBeGreaterThan(0);
  });

  it('has only valid resources (schemas, no unknown fields)', () => {
    const problems = resources.flatMap((r) => validateResource(r).map((p) => `${r.kind}/${r.metadata.name}: ${p}`));
    expect(problems).toEqual([]);
  });

  it(`puts every namespaced resource in "${NAMESPACE}" and labels it part-of webtrafficmonitor`, () => {
    for (const r of resources) {
      if (r.kind === 'Namespace') expect(r.metadata.name).toBe(NAMESPACE);
      else expect(`${r.kind}/${r.metadata.name} ${r.metadata.namespace ?? '(none)'}`).toBe(`${r.kind}/${r.metadata.name} ${NAMESPACE}`);
      expect(get(r, 'metadata', 'labels', 'app.kubernetes.io/part-of')).toBe('webtrafficmonitor');
    }
  });
});

describe('strict validation catches mistakes', () => {
  const base = rendered.get('knative/base') ?? [];
  const find = (kind: string, name: string): Resource => {
    const r = base.find((x) => x.kind === kind && x.metadata.name === name);
    if (r === undefined) throw new Error(`${kind}/${name} missing`);
    return structuredClone(r);
  };

  it('a misspelt field in a Knative Service container', () => {
    const svc = find('Service', 'wtm-query');
    const c = container(svc);
    c.imagee = c.image ?? null;
    expect(validateResource(svc)).toContain('/spec/template/spec/containers/0/imagee: unknown field');
  });

  it('a misspelt field in a Knative Service template spec', () => {
    const svc = find('Service', 'wtm-enrich');
    const spec = get(svc, 'spec', 'template', 'spec');
    if (isObject(spec)) spec.containerConcurency = 5;
    expect(validateResource(svc)).toContain('/spec/template/spec/containerConcurency: unknown field');
  });

  it('a misspelt field and a bad enum in a KafkaSource', () => {
    const src = find('KafkaSource', 'wtm-raw-to-enrich');
    const spec = get(src, 'spec');
    if (isObject(spec)) {
      spec.consumerGroupp = 'x';
      spec.ordering = 'sorted';
    }
    const problems = validateResource(src);
    expect(problems).toContain('/spec/consumerGroupp: unknown field');
    expect(problems.some((p) => p.startsWith('/spec/ordering'))).toBe(true);
  });

  it('a bad duration in a delivery spec and a misspelt KafkaSink field', () => {
    const src = find('KafkaSource', 'wtm-enriched-to-aggregate');
    const delivery = get(src, 'spec', 'delivery');
    if (isObject(delivery)) delivery.backoffDelay = '500ms';
    expect(validateResource(src).some((p) => p.startsWith('/spec/delivery/backoffDelay'))).toBe(true);
    const sink = find('KafkaSink', 'wtm-rejected');
    const spec = get(sink, 'spec');
    if (isObject(spec)) spec.topics = ['x'];
    expect(validateResource(sink)).toContain('/spec/topics: unknown field');
  });

  it('a misspelt field in a StatefulSet and a wrong type', () => {
    const sts = structuredClone((rendered.get('infra/base') ?? []).find((r) => r.kind === 'StatefulSet'));
    if (sts === undefined) throw new Error('no StatefulSet');
    const spec = get(sts, 'spec');
    if (isObject(spec)) {
      spec.replcas = 1;
      spec.serviceName = 5;
    }
    const problems = validateResource(sts);
    expect(problems).toContain('/spec/replcas: unknown field');
    expect(problems.some((p) => p.includes('serviceName'))).toBe(true);
  });
});

describe.each(Object.keys(ENVIRONMENTS) as (keyof typeof ENVIRONMENTS)[])('environment %s', (envName) => {
  const rs = envResources(envName);
  const services = knServices(rs);
  const kafkaSources = byKind(rs, 'sources.knative.dev/v1beta1', 'KafkaSource');
  const kafkaSinks = byKind(rs, 'eventing.knative.dev/v1alpha1', 'KafkaSink');
  const topics = topicNames('wtm');
  const configMap = rs.find((r) => r.kind === 'ConfigMap' && r.metadata.name === 'wtm-config');
  const secrets = byKind(rs, 'v1', 'Secret');
  const topicsJob = rs.find((r) => r.kind === 'Job' && r.metadata.name === 'wtm-topics');

  it('has one Knative Service per function target, wtm-<target>, selecting it with FUNCTION_TARGET', () => {
    expect(services.map((s) => s.metadata.name).sort()).toEqual(TARGETS.map((t) => `wtm-${t}`).sort());
    for (const s of services) expect(`wtm-${envValue(container(s), 'FUNCTION_TARGET')}`).toBe(s.metadata.name);
  });

  it('feeds raw → enrich and enriched → aggregate, dead-letters into the rejected topic', () => {
    const route = kafkaSources.map((k) => `${str(get(k, 'spec', 'topics', 0))} → ${str(get(k, 'spec', 'sink', 'ref', 'name'))}`).sort();
    expect(route).toEqual([`${topics.enriched} → wtm-aggregate`, `${topics.raw} → wtm-enrich`]);
    const names = new Set(services.map((s) => s.metadata.name));
    for (const k of kafkaSources) {
      expect(get(k, 'spec', 'sink', 'ref', 'kind')).toBe('Service');
      expect(get(k, 'spec', 'sink', 'ref', 'apiVersion')).toBe('serving.knative.dev/v1');
      expect(names.has(str(get(k, 'spec', 'sink', 'ref', 'name')))).toBe(true);
      expect(get(k, 'spec', 'initialOffset')).toBe('earliest');
      expect(str(get(k, 'spec', 'consumerGroup'))).not.toBe('');
      const dls = get(k, 'spec', 'delivery', 'deadLetterSink', 'ref');
      const sink = kafkaSinks.find((s) => s.metadata.name === str(get(dls, 'name')));
      expect(get(dls, 'kind')).toBe('KafkaSink');
      expect(get(sink, 'spec', 'topic')).toBe(topics.rejected);
      expect(get(sink, 'spec', 'contentMode')).toBe('binary');
    }
    const groups = kafkaSources.map((k) => get(k, 'spec', 'consumerGroup'));
    expect(new Set(groups).size).toBe(groups.length);
  });

  it('gives each KafkaSource a per-attempt timeout no longer than its Service timeout', () => {
    for (const k of kafkaSources) {
      const svc = services.find((s) => s.metadata.name === get(k, 'spec', 'sink', 'ref', 'name'));
      const m = /^PT(\d+)S$/.exec(str(get(k, 'spec', 'delivery', 'timeout')));
      expect(m).not.toBeNull();
      expect(Number(m?.[1])).toBeLessThanOrEqual(Number(get(svc, 'spec', 'template', 'spec', 'timeoutSeconds')));
    }
  });

  it('triggers generate from a PingSource', () => {
    const pings = byKind(rs, 'sources.knative.dev/v1', 'PingSource');
    expect(pings.map((p) => get(p, 'spec', 'sink', 'ref', 'name'))).toEqual(['wtm-generate']);
    expect(() => JSON.parse(str(get(pings[0], 'spec', 'data'))) as unknown).not.toThrow();
  });

  it('uses the same Kafka address everywhere, and it names the Kafka Service (when infra is part of it)', () => {
    const brokers = str(get(configMap, 'data', 'KAFKA_BROKERS'));
    expect(brokers).not.toBe('');
    const addresses = [
      ...kafkaSources.flatMap((k) =>
        (Array.isArray(get(k, 'spec', 'bootstrapServers')) ? (get(k, 'spec', 'bootstrapServers') as Json[]) : []).map(str),
      ),
      ...kafkaSinks.map((s) => str(get(s, 'spec', 'bootstrapServers'))),
      ...(topicsJob === undefined ? [] : [envValue(container(topicsJob), 'BOOTSTRAP')]),
    ];
    for (const a of addresses) expect(a).toBe(brokers);
    const [host, port] = brokers.split(':');
    const [svcName, ns] = (host ?? '').split('.');
    expect(host).toBe(`${svcName}.${ns}.svc.cluster.local`);
    const svc = rs.find((r) => r.apiVersion === 'v1' && r.kind === 'Service' && r.metadata.name === svcName && r.metadata.namespace === ns);
    expect(svc).toBeDefined();
    expect(objects(get(svc, 'spec', 'ports')).map((p) => p.port)).toContain(Number(port));
    const kafka = rs.find((r) => r.kind === 'StatefulSet' && r.metadata.name === 'wtm-kafka');
    expect(envValue(container(kafka ?? ({} as Resource)), 'KAFKA_ADVERTISED_LISTENERS')).toBe(`PLAINTEXT://${brokers}`);
  });

  it('creates exactly the contract topics, with retention below the 8-day dedupe window for raw/enriched', () => {
    expect(topicsJob).toBeDefined();
    // The functions derive topic names from WTM_TOPIC_PREFIX; the manifests name them with "wtm".
    expect(get(configMap, 'data', 'WTM_TOPIC_PREFIX')).toBe('wtm');
    const c = container(topicsJob ?? ({} as Resource));
    expect([envValue(c, 'TOPIC_RAW'), envValue(c, 'TOPIC_ENRICHED'), envValue(c, 'TOPIC_REJECTED')]).toEqual([
      topics.raw,
      topics.enriched,
      topics.rejected,
    ]);
    expect(Number(envValue(c, 'RETENTION_MS'))).toBeLessThan(8 * 24 * 3600 * 1000);
    const partitions = Number(envValue(c, 'PARTITIONS'));
    for (const k of kafkaSources) expect(Number(get(k, 'spec', 'consumers'))).toBeLessThanOrEqual(partitions);
  });

  it('uses one image and tag for every workload of ours, the package version unless an overlay says otherwise', () => {
    const ours = containers(rs).filter(({ c }) => imageName(str(c.image)) === IMAGE);
    expect(ours.length).toBe(services.length + 1); // + the migrate Job
    const tags = new Set(ours.map(({ c }) => str(c.image)));
    expect(tags.size).toBe(1);
    const version = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect([...tags][0]).toBe(`${IMAGE}:${version}`);
    for (const s of services) expect(imageName(str(container(s).image))).toBe(IMAGE);
  });

  it('probes the endpoints functions/index.ts serves, on the container port', () => {
    for (const s of services) {
      const c = container(s);
      const port = get(c, 'ports', 0, 'containerPort');
      expect(port).toBe(8080);
      expect(get(c, 'readinessProbe', 'httpGet', 'path')).toBe(READY_PATH);
      expect(get(c, 'livenessProbe', 'httpGet', 'path')).toBe(HEALTH_PATH);
      expect(get(c, 'readinessProbe', 'httpGet', 'port')).toBe(port);
      expect(get(c, 'livenessProbe', 'httpGet', 'port')).toBe(port);
    }
  });

  it('scales query to zero and sizes every Service', () => {
    for (const s of services) {
      const ann = get(s, 'spec', 'template', 'metadata', 'annotations');
      expect(Number(get(ann, 'autoscaling.knative.dev/max-scale'))).toBeGreaterThanOrEqual(
        Number(get(ann, 'autoscaling.knative.dev/min-scale')),
      );
      expect(Number(get(s, 'spec', 'template', 'spec', 'containerConcurrency'))).toBeGreaterThan(0);
      expect(get(container(s), 'resources', 'requests', 'cpu')).toBeDefined();
      expect(get(container(s), 'resources', 'limits', 'memory')).toBeDefined();
      expect(get(container(s), 'securityContext', 'runAsNonRoot')).toBe(true);
    }
    const minScale = (name: string) =>
      get(
        services.find((s) => s.metadata.name === name),
        'spec',
        'template',
        'metadata',
        'annotations',
        'autoscaling.knative.dev/min-scale',
      );
    expect(minScale('wtm-query')).toBe('0');
    if (envName === 'dev') for (const s of services) expect(minScale(s.metadata.name)).toBe('0');
    else for (const name of ['wtm-enrich', 'wtm-aggregate', 'wtm-collect']) expect(Number(minScale(name))).toBeGreaterThanOrEqual(1);
  });

  it('exposes collect (and query) publicly, keeps the other functions cluster-local, and scales collect on requests', () => {
    const visibility = (s: Resource) => str(get(s, 'metadata', 'labels', 'networking.knative.dev/visibility'));
    const publicOnes = services.filter((s) => visibility(s) !== 'cluster-local').map((s) => s.metadata.name);
    expect(publicOnes.sort()).toEqual(['wtm-collect', 'wtm-query']);
    const collect = services.find((s) => s.metadata.name === 'wtm-collect');
    const ann = get(collect, 'spec', 'template', 'metadata', 'annotations');
    expect(get(ann, 'autoscaling.knative.dev/metric')).toBe('rps');
    expect(Number(get(ann, 'autoscaling.knative.dev/target'))).toBeGreaterThan(0);
    // X-Forwarded-For is believed only from the queue-proxy in the pod and the cluster's proxies.
    const trusted = envValue(container(collect ?? ({} as Resource)), 'WTM_TRUSTED_PROXIES').split(',');
    expect(trusted).toContain('127.0.0.1/32');
    expect(trusted).not.toContain('0.0.0.0/0');
    expect(Number(envValue(container(collect ?? ({} as Resource)), 'WTM_COLLECT_RATE'))).toBeGreaterThan(0);
  });

  it('refers only to ConfigMap keys and Secret keys that exist (or are documented as created out of band)', () => {
    for (const { owner, c } of containers(rs)) {
      for (const e of envList(c)) {
        const cm = get(e, 'valueFrom', 'configMapKeyRef');
        const sk = get(e, 'valueFrom', 'secretKeyRef');
        if (cm !== undefined) {
          const map = rs.find((r) => r.kind === 'ConfigMap' && r.metadata.name === get(cm, 'name'));
          expect(`${owner} ${str(get(cm, 'key'))}: ${String(get(map, 'data', str(get(cm, 'key'))) !== undefined)}`).toBe(
            `${owner} ${str(get(cm, 'key'))}: true`,
          );
        }
        if (sk !== undefined) {
          const name = str(get(sk, 'name'));
          const key = str(get(sk, 'key'));
          const secret = secrets.find((r) => r.metadata.name === name);
          const keys = secret === undefined ? (OUT_OF_BAND_SECRETS[name] ?? []) : Object.keys(isObject(secret.data) ? secret.data : {});
          expect(`${owner} ${name}/${key}: ${String(keys.includes(key))}`).toBe(`${owner} ${name}/${key}: true`);
        }
      }
    }
    if (envName === 'production') expect(secrets).toEqual([]); // never commit production secrets
  });

  if (envName === 'dev') {
    it('points DATABASE_URL at the MySQL Service with the user, password and database MySQL is created with', () => {
      const decode = (secret: string, key: string): string => {
        const v = get(
          secrets.find((s) => s.metadata.name === secret),
          'data',
          key,
        );
        return Buffer.from(str(v), 'base64').toString('utf8');
      };
      const url = new URL(decode('wtm-secrets', 'DATABASE_URL'));
      const mysql = container(rs.find((r) => r.kind === 'StatefulSet' && r.metadata.name === 'wtm-mysql') ?? ({} as Resource));
      expect(url.protocol).toBe('mysql:');
      expect(url.hostname).toBe(`wtm-mysql.${NAMESPACE}.svc.cluster.local`);
      expect(url.port).toBe('3306');
      expect(decodeURIComponent(url.username)).toBe(envValue(mysql, 'MYSQL_USER'));
      expect(decodeURIComponent(url.password)).toBe(decode('wtm-mysql', 'password'));
      expect(url.pathname).toBe(`/${envValue(mysql, 'MYSQL_DATABASE')}`);
    });
  }
});

describe('environment variables: each Service sets exactly what its function reads', () => {
  const entryReads = envNamesIn(readFileSync(resolve(ROOT, 'functions/index.ts'), 'utf8'), new Map());
  const services = knServices(rendered.get('knative/base') ?? []);

  it('the entry itself reads FUNCTION_TARGET and LOG_LEVEL', () => {
    expect([...entryReads].sort()).toEqual(['FUNCTION_TARGET', 'LOG_LEVEL']);
  });

  const present = TARGETS.filter((t) => existsSync(resolve(ROOT, `functions/${t}/function.ts`)));
  const missing = TARGETS.filter((t) => !present.includes(t));
  if (missing.length > 0) {
    process.stderr.write(`\n⚠ env-var cross-check skipped for ${missing.join(', ')}: functions/<name>/function.ts does not exist yet\n`);
  }

  it.each(present)('%s', (target) => {
    const reads = envReads(`functions/${target}/function.ts`);
    const needed = new Set([...entryReads, ...reads.keys()].filter((v) => !PLATFORM_VARS.has(v)));
    const svc = services.find((s) => s.metadata.name === `wtm-${target}`);
    const set = new Set(envList(container(svc ?? ({} as Resource))).map((e) => str(e.name)));
    const unset = [...needed]
      .filter((v) => !set.has(v))
      .map((v) => `${v} (read in ${(reads.get(v) ?? ['functions/index.ts']).join(', ')})`);
    const unused = [...set].filter((v) => !needed.has(v));
    expect({ unset, unused }).toEqual({ unset: [], unused: [] });
    for (const v of set) expect(PLATFORM_VARS.has(v)).toBe(false);
  });

  const migrateCli = 'functions/aggregate/migrate-cli.ts';
  (existsSync(resolve(ROOT, migrateCli)) ? it : it.skip)('the migrate Job sets what the migration CLI reads', () => {
    const job = (rendered.get('infra/base') ?? []).find((r) => r.kind === 'Job' && r.metadata.name === 'wtm-migrate');
    const c = container(job ?? ({} as Resource));
    expect(get(c, 'command')).toEqual(['node', 'dist/functions/migrate-cli.js']);
    const set = envList(c)
      .map((e) => str(e.name))
      .sort();
    expect(set).toEqual([...envReads(migrateCli).keys()].filter((v) => !PLATFORM_VARS.has(v)).sort());
  });
});
