/** The model package manifest written by the jobs (`jobs/canopy_jobs/package.py`), format version 1. */
export interface TensorSpec {
  name: string;
  dtype: string;
  shape: (string | number)[];
  meaning?: string;
}

export interface ImagePreprocessing {
  resize: { width: number; height: number; method: string };
  channelOrder: 'RGB' | 'BGR';
  layout: 'NCHW';
  scale: number;
  mean: number[];
  std: number[];
}

export interface ModelManifest {
  formatVersion: number;
  task: 'image-classification' | 'tabular-classification';
  labels: string[];
  model: { file: string; inputs: TensorSpec[]; outputs: TensorSpec[] };
  preprocessing?: ImagePreprocessing;
  /** Tabular packages: the raw columns the feature pipeline takes, in order. */
  columns?: { name: string; dtype: string }[];
  metrics?: Record<string, unknown>;
  lineage?: Record<string, unknown>;
  sha256: Record<string, string>;
  createdAt?: string;
}

export class ManifestError extends Error {
  readonly code = 'PACKAGE.INVALID';
}

export function parseManifest(text: string): ModelManifest {
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(text) as ModelManifest;
  } catch (err) {
    throw new ManifestError(`manifest.json is not JSON: ${(err as Error).message}`);
  }
  if (manifest.formatVersion !== 1) throw new ManifestError(`unsupported package format version ${String(manifest.formatVersion)}`);
  if (!Array.isArray(manifest.labels) || manifest.labels.length < 2) throw new ManifestError('manifest.json lists fewer than two labels');
  if (!manifest.model?.file || !manifest.sha256?.[manifest.model.file])
    throw new ManifestError('manifest.json names no model file with a sha256');
  if (manifest.task === 'image-classification' && !manifest.preprocessing)
    throw new ManifestError('an image package needs its preprocessing');
  return manifest;
}
