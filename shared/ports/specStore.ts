import { PipelineSpec } from '../domain/pipelineSpec';

export interface StoredSpec {
  name: string;
  version: number;
  spec: PipelineSpec;
  createdAt: string;
}

/** Pipeline specs, versioned: saving a changed spec makes a new version; an unchanged one does not. */
export interface SpecStore {
  save(spec: PipelineSpec, now: Date): Promise<StoredSpec>;
  get(name: string, version?: number): Promise<StoredSpec | undefined>;
  list(): Promise<StoredSpec[]>;
}
