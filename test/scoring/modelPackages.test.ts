import fs from 'node:fs';
import path from 'node:path';
import { loadModelPackage } from '../../scoring/modelPackage';
import { imageModelPackage, tabularModelPackage } from '../support/modelPackages';

describe('test model packages made by the jobs', () => {
  it('builds a 28×28 Fashion-MNIST image package that loads with its sha256 verified, and reuses it', async () => {
    const image = imageModelPackage();
    const pkg = await loadModelPackage(image.packageDir);
    expect(pkg.manifest.task).toBe('image-classification');
    expect(pkg.manifest.labels).toHaveLength(10);
    expect(pkg.manifest.model.inputs[0]).toMatchObject({ name: 'image', dtype: 'float32', shape: ['N', 3, 224, 224] });
    expect(fs.readdirSync(path.join(image.imagesDir, 'test'))).toEqual(pkg.manifest.labels);
    expect(imageModelPackage()).toEqual(image);
  });

  it('builds a workload package whose inputs are the ETL feature columns', async () => {
    const tabular = tabularModelPackage();
    const pkg = await loadModelPackage(tabular.packageDir);
    expect(pkg.manifest.task).toBe('tabular-classification');
    expect(pkg.manifest.labels).toEqual(['low', 'medium', 'high']);
    expect(pkg.manifest.model.inputs.map((i) => i.name)).toContain('serverType');
    expect(fs.existsSync(path.join(tabular.etlDir, 'features'))).toBe(true);
  });
});
