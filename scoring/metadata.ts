import { ModelManifest } from './manifest';
import { ScoreInput } from './scoreInput';

/** What `/score` accepts for this package, for `GET /metadata`: the forms, their layout and the limits. */
export function requestForms(m: ModelManifest, limits: { maxRows: number; maxBodyBytes: number }): Record<string, unknown> {
  const forms: Record<string, unknown> =
    m.task === 'image-classification'
      ? {
          data: {
            layout:
              'one row per image, row-major pixel values 0-255: n×n values for greyscale or n×n×3 interleaved RGB (r, g, b per pixel); ' +
              'any square size, e.g. 784 values for a 28×28 greyscale image',
            resizedTo: [m.preprocessing?.resize.height, m.preprocessing?.resize.width],
          },
          images: 'base64 PNG or JPEG strings (data: URLs accepted)',
          multipart: 'multipart/form-data with one file part (PNG or JPEG) per image',
        }
      : {
          rows: { columns: m.model.inputs.map(({ name, dtype }) => ({ name, dtype })) },
          data: { features: m.model.inputs.map((i) => i.name) },
        };
  return { ...forms, ...limits };
}

/** A neutral request that exercises the whole path once before the server reports ready. */
export function warmUpInput(m: ModelManifest): ScoreInput {
  if (m.task === 'image-classification') return { kind: 'data', rows: [new Array<number>(28 * 28).fill(0)] };
  return { kind: 'rows', rows: [Object.fromEntries(m.model.inputs.map((i) => [i.name, i.dtype === 'string' ? '' : 0]))] };
}

/** A file URI or an absolute path on the training machine: `/metadata` answers anyone, so these stay out of it. */
const machinePath = /^(file:|\/|[A-Za-z]:[\\/]|\\\\)/;

/** The package's lineage as `/metadata` shows it: every field but those naming a training-machine path. */
export function publicLineage(lineage: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!lineage) return undefined;
  return Object.fromEntries(Object.entries(lineage).filter(([, value]) => typeof value !== 'string' || !machinePath.test(value)));
}
