/** Where the deployment files are, for the deployment tests. */
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

/** Every kustomization we ship: each is rendered and validated. */
export const KUSTOMIZATIONS = [
  'knative/base',
  'knative/overlays/dev',
  'knative/overlays/production',
  'infra/base',
  'infra/overlays/dev',
  'infra/overlays/production',
] as const;
