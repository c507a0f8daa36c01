/**
 * A small kustomize renderer for the tests, limited to the features our kustomizations use. No
 * kustomize binary can be installed from the registries CI reaches (Debian has neither kubectl nor
 * kustomize; npm has no package that ships the real one), so the tests render with this and, where
 * a real `kustomize` or `kubectl kustomize` is on PATH, compare the two outputs (kustomize.test.ts).
 *
 * Supported: `resources` (files and folders with a kustomization), `namespace`, `labels` (metadata
 * only: includeSelectors/includeTemplates false), `images` (newName/newTag/digest on every
 * `containers`/`initContainers` image), `patches` (inline or `path`; JSON6902 op lists with add,
 * remove, replace, test; strategic-merge patches of maps and scalars only), `configMapGenerator` /
 * `secretGenerator` with `literals` under `generatorOptions.disableNameSuffixHash: true`.
 * Anything else throws, so a kustomization never silently renders differently from kustomize.
 */
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export interface Resource extends JsonObject {
  apiVersion: string;
  kind: string;
  metadata: JsonObject & { name: string; namespace?: string };
}

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'namespace',
  'labels',
  'images',
  'patches',
  'configMapGenerator',
  'secretGenerator',
  'generatorOptions',
]);

/** Kinds without a namespace (the ones we could plausibly meet). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
]);

export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

export function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(v: Json | undefined, what: string): JsonObject {
  if (!isObject(v)) throw new KustomizeError(`${what} must be a map`);
  return v;
}

function asArray(v: Json | undefined, what: string): Json[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new KustomizeError(`${what} must be a list`);
  return v;
}

function asString(v: Json | undefined, what: string): string {
  if (typeof v !== 'string') throw new KustomizeError(`${what} must be a string`);
  return v;
}

function toResource(doc: Json, where: string): Resource {
  const o = asObject(doc, where);
  const metadata = asObject(o.metadata, `${where}: metadata`);
  if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof metadata.name !== 'string') {
    throw new KustomizeError(`${where}: apiVersion, kind and metadata.name are required`);
  }
  return o as Resource;
}

function readYamlDocs(file: string): Json[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  const out: Json[] = [];
  for (const d of docs) {
    if (d.errors.length > 0) throw new KustomizeError(`${file}: ${d.errors[0]?.message ?? 'YAML error'}`);
    const v = d.toJSON() as Json;
    if (v !== null) out.push(v);
  }
  return out;
}

function kustomizationFile(dir: string): string {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const f = join(dir, name);
    if (existsSync(f)) return f;
  }
  throw new KustomizeError(`${dir}: no kustomization.yaml`);
}

/** Renders the kustomization in `dir` to its list of resources. */
export function render(dir: string): Resource[] {
  const file = kustomizationFile(dir);
  const k = asObject(parse(readFileSync(file, 'utf8')) as Json, file);
  for (const key of Object.keys(k)) {
    if (!KNOWN_FIELDS.has(key)) throw new KustomizeError(`${file}: field "${key}" is not supported by this renderer`);
  }

  let resources: Resource[] = [];
  for (const r of asArray(k.resources, 'resources')) {
    const path = resolve(dir, asString(r, 'resources[]'));
    if (statSync(path).isDirectory()) resources.push(...render(path));
    else resources.push(...readYamlDocs(path).map((d) => toResource(d, path)));
  }
  resources.push(...generate(k, file));

  for (const p of asArray(k.patches, 'patches')) resources = applyPatch(resources, asObject(p, 'patches[]'), dir);
  if (k.namespace !== undefined) setNamespace(resources, asString(k.namespace, 'namespace'));
  for (const l of asArray(k.labels, 'labels')) setLabels(resources, asObject(l, 'labels[]'));
  for (const i of asArray(k.images, 'images')) setImage(resources, asObject(i, 'images[]'));

  const seen = new Set<string>();
  for (const r of resources) {
    const id = resourceId(r);
    if (seen.has(id)) throw new KustomizeError(`${file}: resource ${id} appears twice`);
    seen.add(id);
  }
  return resources;
}

export function resourceId(r: Resource): string {
  return `${r.apiVersion}/${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`;
}

function generate(k: JsonObject, file: string): Resource[] {
  const configMaps = asArray(k.configMapGenerator, 'configMapGenerator');
  const secrets = asArray(k.secretGenerator, 'secretGenerator');
  if (configMaps.length + secrets.length === 0) return [];
  const options = k.generatorOptions === undefined ? {} : asObject(k.generatorOptions, 'generatorOptions');
  if (options.disableNameSuffixHash !== true) {
    // Hash suffixes need kustomize's hash and its name-reference rewriting; we do not use them.
    throw new KustomizeError(`${file}: generators need generatorOptions.disableNameSuffixHash: true here`);
  }
  const data = (g: JsonObject, what: string): Record<string, string> => {
    for (const key of Object.keys(g)) {
      if (key !== 'name' && key !== 'literals') throw new KustomizeError(`${file}: ${what} field "${key}" is not supported`);
    }
    const out: Record<string, string> = {};
    for (const lit of asArray(g.literals, `${what}.literals`)) {
      const s = asString(lit, `${what}.literals[]`);
      const eq = s.indexOf('=');
      if (eq <= 0) throw new KustomizeError(`${file}: literal "${s}" is not key=value`);
      out[s.slice(0, eq)] = s.slice(eq + 1);
    }
    return out;
  };
  const out: Resource[] = [];
  for (const g of configMaps.map((x) => asObject(x, 'configMapGenerator[]'))) {
    out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: asString(g.name, 'name') }, data: data(g, 'configMapGenerator') });
  }
  for (const g of secrets.map((x) => asObject(x, 'secretGenerator[]'))) {
    const encoded = Object.fromEntries(
      Object.entries(data(g, 'secretGenerator')).map(([key, v]) => [key, Buffer.from(v).toString('base64')]),
    );
    out.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: asString(g.name, 'name') }, type: 'Opaque', data: encoded });
  }
  return out;
}

function matchesTarget(r: Resource, target: JsonObject): boolean {
  const [group, version] = r.apiVersion.includes('/') ? r.apiVersion.split('/') : ['', r.apiVersion];
  const full = (pattern: Json | undefined, value: string): boolean =>
    pattern === undefined || new RegExp(`^(?:${asString(pattern, 'target field')})$`).test(value);
  for (const key of Object.keys(target)) {
    if (!['group', 'version', 'kind', 'name', 'namespace'].includes(key))
      throw new KustomizeError(`patch target field "${key}" is not supported`);
  }
  return (
    full(target.group, group ?? '') &&
    full(target.version, version ?? '') &&
    full(target.kind, r.kind) &&
    full(target.name, r.metadata.name) &&
    full(target.namespace, r.metadata.namespace ?? '')
  );
}

function applyPatch(resources: Resource[], p: JsonObject, dir: string): Resource[] {
  for (const key of Object.keys(p)) {
    if (!['patch', 'path', 'target'].includes(key)) throw new KustomizeError(`patches[] field "${key}" is not supported`);
  }
  const text = p.patch !== undefined ? asString(p.patch, 'patch') : readFileSync(resolve(dir, asString(p.path, 'patches[].path')), 'utf8');
  const body = parse(text) as Json;
  if (Array.isArray(body)) {
    if (p.target === undefined) throw new KustomizeError('a JSON6902 patch needs a target');
    const target = asObject(p.target, 'target');
    const hits = resources.filter((r) => matchesTarget(r, target));
    if (hits.length === 0) throw new KustomizeError(`patch target ${JSON.stringify(target)} matches nothing`);
    return resources.map((r) => (hits.includes(r) ? toResource(applyJson6902(r, body), r.metadata.name) : r));
  }
  // Strategic merge: the patch names its own target unless one is given.
  const patch = asObject(body, 'patch');
  const meta = asObject(patch.metadata, 'patch.metadata');
  const target: JsonObject =
    p.target !== undefined
      ? asObject(p.target, 'target')
      : { kind: asString(patch.kind, 'patch.kind'), name: asString(meta.name, 'patch.metadata.name') };
  const hits = resources.filter((r) => matchesTarget(r, target));
  if (hits.length === 0) throw new KustomizeError(`patch target ${JSON.stringify(target)} matches nothing`);
  return resources.map((r) => (hits.includes(r) ? toResource(mergeMaps(r, patch, ''), r.metadata.name) : r));
}

/** Strategic merge limited to maps and scalars; lists would need the schema's merge keys. */
function mergeMaps(base: Json, patch: Json, path: string): Json {
  if (Array.isArray(patch))
    throw new KustomizeError(`strategic-merge patch with a list at ${path || '/'} is not supported; use a JSON6902 patch`);
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(base) ? { ...base } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergeMaps(out[key] ?? null, value, `${path}/${key}`);
  }
  return out;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new KustomizeError(`JSON pointer "${path}" must start with /`);
  return path
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** RFC 6902 add/remove/replace/test on a deep copy. */
export function applyJson6902(doc: Json, ops: Json[]): Json {
  const root = structuredClone(doc);
  for (const raw of ops) {
    const op = asObject(raw, 'JSON6902 op');
    const kind = asString(op.op, 'op');
    const parts = pointer(asString(op.path, 'path'));
    const last = parts.pop();
    if (last === undefined) throw new KustomizeError('JSON6902 on the document root is not supported');
    let parent: Json = root;
    for (const part of parts) {
      const next: Json | undefined = Array.isArray(parent) ? parent[Number(part)] : isObject(parent) ? parent[part] : undefined;
      if (next === undefined) throw new KustomizeError(`JSON6902 ${kind}: path ${String(op.path)} does not exist`);
      parent = next;
    }
    const value = op.value;
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      if (!Number.isInteger(index) || index < 0 || index > parent.length)
        throw new KustomizeError(`JSON6902 ${kind}: bad index in ${String(op.path)}`);
      const exists = index < parent.length;
      if (kind === 'add') parent.splice(index, 0, structuredClone(value ?? null));
      else if (!exists) throw new KustomizeError(`JSON6902 ${kind}: ${String(op.path)} does not exist`);
      else if (kind === 'remove') parent.splice(index, 1);
      else if (kind === 'replace') parent[index] = structuredClone(value ?? null);
      else if (kind === 'test') {
        if (JSON.stringify(parent[index]) !== JSON.stringify(value)) throw new KustomizeError(`JSON6902 test failed at ${String(op.path)}`);
      } else throw new KustomizeError(`JSON6902 op "${kind}" is not supported`);
    } else if (isObject(parent)) {
      const exists = Object.prototype.hasOwnProperty.call(parent, last);
      if (kind === 'add') parent[last] = structuredClone(value ?? null);
      else if (!exists) throw new KustomizeError(`JSON6902 ${kind}: ${String(op.path)} does not exist`);
      else if (kind === 'remove') delete parent[last];
      else if (kind === 'replace') parent[last] = structuredClone(value ?? null);
      else if (kind === 'test') {
        if (JSON.stringify(parent[last]) !== JSON.stringify(value)) throw new KustomizeError(`JSON6902 test failed at ${String(op.path)}`);
      } else throw new KustomizeError(`JSON6902 op "${kind}" is not supported`);
    } else throw new KustomizeError(`JSON6902 ${kind}: parent of ${String(op.path)} is not a container`);
  }
  return root;
}

function setNamespace(resources: Resource[], namespace: string): void {
  for (const r of resources) {
    // kustomize renames Namespace objects to the kustomization's namespace.
    if (r.kind === 'Namespace') r.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(r.kind)) r.metadata.namespace = namespace;
  }
}

function setLabels(resources: Resource[], spec: JsonObject): void {
  for (const key of Object.keys(spec)) {
    if (!['pairs', 'includeSelectors', 'includeTemplates'].includes(key))
      throw new KustomizeError(`labels[] field "${key}" is not supported`);
  }
  if (spec.includeSelectors === true || spec.includeTemplates === true)
    throw new KustomizeError('labels with includeSelectors/includeTemplates are not supported');
  const pairs = asObject(spec.pairs, 'labels[].pairs');
  for (const r of resources) {
    const labels = isObject(r.metadata.labels) ? r.metadata.labels : {};
    r.metadata.labels = { ...labels, ...pairs };
  }
}

/** `name[:tag][@digest]` → name (a registry port is not a tag). */
export function imageName(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

function setImage(resources: Resource[], spec: JsonObject): void {
  for (const key of Object.keys(spec)) {
    if (!['name', 'newName', 'newTag', 'digest'].includes(key)) throw new KustomizeError(`images[] field "${key}" is not supported`);
  }
  const name = asString(spec.name, 'images[].name');
  const rewrite = (image: string): string => {
    if (imageName(image) !== name) return image;
    const newName = spec.newName === undefined ? name : asString(spec.newName, 'newName');
    if (spec.digest !== undefined) return `${newName}@${asString(spec.digest, 'digest')}`;
    if (spec.newTag !== undefined) return `${newName}:${asString(spec.newTag, 'newTag')}`;
    const rest = image.slice(imageName(image).length);
    return `${newName}${rest}`;
  };
  const walk = (node: Json): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (isObject(node)) {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'containers' || key === 'initContainers') && Array.isArray(value)) {
          for (const c of value) if (isObject(c) && typeof c.image === 'string') c.image = rewrite(c.image);
        }
        walk(value);
      }
    }
  };
  for (const r of resources) walk(r);
}
