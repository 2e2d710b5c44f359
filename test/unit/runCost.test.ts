import { candidateGrid } from '../../shared/domain/candidateGrid';
import { computeCostPerHour, computeNodes } from '../../shared/domain/cost';
import { PipelineSpec, validatePipelineSpec } from '../../shared/domain/pipelineSpec';
import { loadConfig } from '../../shared/config';

function specWith(compute: Record<string, unknown>): PipelineSpec {
  const result = validatePipelineSpec(
    {
      name: 'fashion',
      scenario: 'image-classification',
      data: { source: { container: 'landing', prefix: 'fashion/' } },
      compute,
      deployment: { target: compute.target === 'hdinsight' ? 'aci' : 'local' },
      candidates: { classifiers: [{ type: 'logistic_regression' }] },
    },
    (s) => candidateGrid(s).length,
  );
  if (!result.ok) throw new Error(result.problems.join('; '));
  return result.spec;
}

const prices = loadConfig({
  AzureWebJobsStorage: 'x',
  CANOPY_COSMOS_ENDPOINT: 'https://127.0.0.1:8081/',
  CANOPY_COSMOS_EMULATOR_KEY: 'k',
}).prices;

describe('what a run costs', () => {
  it('prices the default HDInsight cluster: two D12 v2 head nodes and two D4 v2 workers', () => {
    const spec = specWith({ target: 'hdinsight' });
    expect(computeNodes(spec)).toBe(4);
    expect(computeCostPerHour(spec, prices)).toBeCloseTo(2 * 0.58 + 2 * 0.99, 6);
  });

  it('scales with the workers and follows the configured price table', () => {
    const spec = specWith({ target: 'hdinsight', workerNodes: 16, workerVmSize: 'Standard_D13_v2' });
    expect(computeNodes(spec)).toBe(18);
    expect(computeCostPerHour(spec, prices)).toBeCloseTo(2 * 0.58 + 16 * 1.16, 6);
    expect(computeCostPerHour(spec, { ...prices, Standard_D13_v2: 1 })).toBeCloseTo(2 * 0.58 + 16, 6);
    expect(() => computeCostPerHour(specWith({ target: 'hdinsight', workerVmSize: 'Standard_E96a_v4' }), prices)).toThrow(
      /no price for VM size Standard_E96a_v4/,
    );
  });

  it('charges a run nothing for an attached cluster or the local one', () => {
    for (const spec of [specWith({ target: 'hdinsight', existingCluster: 'shared-spark' }), specWith({ target: 'local-spark' })]) {
      expect(computeNodes(spec)).toBe(0);
      expect(computeCostPerHour(spec, prices)).toBe(0);
    }
  });
});
