/**
 * Strict validation of rendered resources. kubernetes-models and @kubernetes-models/knative check
 * types, enums and required fields but accept unknown fields (their schemas do not forbid
 * additional properties), and the API server would drop a misspelt field silently. So each
 * validator runs on a Proxy that records which properties it reads: a property it never reads is
 * one the schema does not know, and is reported. Maps (labels, data) are enumerated by the
 * validator, which marks all their keys as known.
 *
 * KafkaSource and KafkaSink have no models (and their CRDs preserve unknown fields), so they get
 * strict JSON Schemas written from the Knative Kafka API types (sources/v1beta1 KafkaSourceSpec,
 * eventing/v1alpha1 KafkaSinkSpec, eventing duck/v1 DeliverySpec, pkg duck/v1 Destination).
 */
import Ajv, { type ErrorObject } from 'ajv';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service as CoreService } from 'kubernetes-models/v1/Service';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Service as KnativeService } from '@kubernetes-models/knative/serving.knative.dev/v1/Service';
import { PingSource } from '@kubernetes-models/knative/sources.knative.dev/v1/PingSource';
import type { Json, Resource } from './kustomize';

interface ModelCtor {
  prototype: { validate(): void };
}

const MODELS: Record<string, ModelCtor> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Namespace': Namespace,
  'v1/Secret': Secret,
  'v1/Service': CoreService,
  'apps/v1/StatefulSet': StatefulSet,
  'batch/v1/Job': Job,
  'serving.knative.dev/v1/Service': KnativeService,
  'sources.knative.dev/v1/PingSource': PingSource,
};

const ISO_DURATION = '^P(?!$)(\\d+Y)?(\\d+M)?(\\d+W)?(\\d+D)?(T(?=\\d)(\\d+H)?(\\d+M)?(\\d+(\\.\\d+)?S)?)?$';
const HOST_PORT = '^[A-Za-z0-9.-]+:\\d{1,5}$';
const strict = { type: 'object', additionalProperties: false } as const;
const stringMap = { type: 'object', additionalProperties: { type: 'string' } } as const;

const metadata = {
  ...strict,
  required: ['name'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 },
    namespace: { type: 'string' },
    labels: stringMap,
    annotations: stringMap,
  },
};

/** knative.dev/pkg duck/v1 Destination. */
const destination = {
  ...strict,
  anyOf: [{ required: ['ref'] }, { required: ['uri'] }],
  properties: {
    ref: {
      ...strict,
      required: ['kind', 'name', 'apiVersion'],
      properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, namespace: { type: 'string' } },
    },
    uri: { type: 'string', format: 'uri' },
    CACerts: { type: 'string' },
    audience: { type: 'string' },
  },
};

/** knative.dev/eventing duck/v1 DeliverySpec. */
const delivery = {
  ...strict,
  properties: {
    deadLetterSink: destination,
    retry: { type: 'integer', minimum: 0 },
    timeout: { type: 'string', pattern: ISO_DURATION },
    backoffPolicy: { enum: ['linear', 'exponential'] },
    backoffDelay: { type: 'string', pattern: ISO_DURATION },
    retryAfterMax: { type: 'string', pattern: ISO_DURATION },
    format: { enum: ['json', 'binary'] },
  },
};

const kafkaSource = {
  ...strict,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'sources.knative.dev/v1beta1' },
    kind: { const: 'KafkaSource' },
    metadata,
    spec: {
      ...strict,
      required: ['bootstrapServers', 'topics', 'sink'],
      properties: {
        consumers: { type: 'integer', minimum: 1 },
        bootstrapServers: { type: 'array', minItems: 1, items: { type: 'string', pattern: HOST_PORT } },
        topics: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        consumerGroup: { type: 'string', minLength: 1 },
        initialOffset: { enum: ['earliest', 'latest'] },
        ordering: { enum: ['ordered', 'unordered'] },
        delivery,
        sink: destination,
        ceOverrides: { ...strict, properties: { extensions: stringMap } },
      },
    },
  },
};

const kafkaSink = {
  ...strict,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'eventing.knative.dev/v1alpha1' },
    kind: { const: 'KafkaSink' },
    metadata,
    spec: {
      ...strict,
      required: ['topic', 'bootstrapServers'],
      properties: {
        topic: { type: 'string', minLength: 1 },
        bootstrapServers: { type: 'string', pattern: '^[A-Za-z0-9.-]+:\\d{1,5}(,[A-Za-z0-9.-]+:\\d{1,5})*$' },
        numPartitions: { type: 'integer', minimum: 1 },
        replicationFactor: { type: 'integer', minimum: 1 },
        contentMode: { enum: ['binary', 'structured'] },
      },
    },
  },
};

// `format: uri` without ajv-formats' full set: a URL the WHATWG parser accepts.
// strictRequired off: Destination's anyOf names properties defined beside it, not inside the branch.
const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
const SCHEMAS = {
  'sources.knative.dev/v1beta1/KafkaSource': ajv.compile(kafkaSource),
  'eventing.knative.dev/v1alpha1/KafkaSink': ajv.compile(kafkaSink),
};

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/** Wraps `data` so that reads of its (nested) properties are recorded per JSON path. */
function tracked(data: unknown, path: string, read: Map<string, Set<string>>, present: Map<string, string[]>): unknown {
  if (!isRecord(data)) return data;
  present.set(path, Array.isArray(data) ? [] : Object.keys(data));
  const seen = new Set<string>();
  read.set(path, seen);
  return new Proxy(data, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string') return value;
      seen.add(prop);
      return tracked(value, `${path}/${prop}`, read, present);
    },
    ownKeys(target) {
      // Enumerated by the validator: a map whose keys are all allowed.
      seen.add('*');
      return Reflect.ownKeys(target);
    },
  });
}

function formatAjv(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) =>
    e.keyword === 'additionalProperties'
      ? `${e.instancePath}/${String(e.params.additionalProperty)}: unknown field`
      : `${e.instancePath || '/'}: ${e.message ?? e.keyword}`,
  );
}

/** Every problem of one resource: schema errors and unknown fields. Empty = valid. */
export function validateResource(r: Resource | Json): string[] {
  if (!isRecord(r) || Array.isArray(r)) return ['not an object'];
  const key = `${String(r.apiVersion)}/${String(r.kind)}`;
  const schema = SCHEMAS[key as keyof typeof SCHEMAS];
  if (schema !== undefined) return schema(r) ? [] : formatAjv(schema.errors);
  const model = MODELS[key];
  if (model === undefined) return [`no schema for ${key}: add a model or a strict JSON Schema in test/deploy/validate.ts`];
  const read = new Map<string, Set<string>>();
  const present = new Map<string, string[]>();
  const problems: string[] = [];
  try {
    model.prototype.validate.call(tracked(r, '', read, present));
  } catch (err) {
    problems.push(err instanceof Error ? err.message : String(err));
  }
  for (const [path, keys] of present) {
    const seen = read.get(path);
    if (seen === undefined || seen.has('*')) continue;
    for (const k of keys) if (!seen.has(k)) problems.push(`${path}/${k}: unknown field`);
  }
  return problems;
}
