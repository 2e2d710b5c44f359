import { clusterName, pipelineInstanceId, pipelineOfInstance } from '../../shared/domain/naming';
import { clusterCostPerHour, costOf, defaultPrices } from '../../shared/domain/cost';

describe('naming', () => {
  it('derives one instance id per pipeline and data version', () => {
    const a = pipelineInstanceId('fashion-demo', 'etag-1');
    expect(pipelineInstanceId('fashion-demo', 'etag-1')).toBe(a);
    expect(pipelineInstanceId('fashion-demo', 'etag-2')).not.toBe(a);
    expect(pipelineOfInstance(a)).toBe('fashion-demo');
    expect(pipelineOfInstance('random')).toBeUndefined();
  });

  it('makes cluster names Azure accepts', () => {
    const name = clusterName(pipelineInstanceId('a-very-long-pipeline-name-that-goes-on-and-on-x', 'v'));
    expect(name.length).toBeLessThanOrEqual(59);
    expect(name).toMatch(/^canopy-[a-z0-9-]+$/);
  });
});

describe('cost', () => {
  it('prices a cluster by node-hours', () => {
    const perHour = clusterCostPerHour(
      { headVmSize: 'Standard_D12_v2', headNodes: 2, workerVmSize: 'Standard_D4_v2', workerNodes: 2 },
      defaultPrices,
    );
    expect(perHour).toBeCloseTo(3.14);
    expect(costOf(perHour, 1800)).toBe(1.57);
    expect(() =>
      clusterCostPerHour({ headVmSize: 'Standard_X', headNodes: 1, workerVmSize: 'Standard_D4_v2', workerNodes: 1 }, defaultPrices),
    ).toThrow(/no price for VM size Standard_X/);
  });
});
