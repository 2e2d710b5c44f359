import { supersededDeployments } from '../../shared/domain/supersededDeployments';
import { DeploymentRecord } from '../../shared/ports/modelRegistry';

const deployment = (version: number, state: DeploymentRecord['state'], trafficPercent = 0): DeploymentRecord => ({
  model: 'm',
  name: `canopy-m-v${version}`,
  version,
  target: 'aci',
  state,
  trafficPercent,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

describe('supersededDeployments', () => {
  it('keeps production and the newest healthy older version for rollback, and picks the older ones', () => {
    const all = [
      deployment(1, 'healthy'),
      deployment(2, 'failed'),
      deployment(3, 'healthy'),
      deployment(4, 'healthy'),
      deployment(5, 'healthy', 100),
    ];
    expect(supersededDeployments(all, 5).map((d) => d.version)).toEqual([3, 2, 1]);
  });

  it('never picks a version newer than production, one with traffic, or one already deleted', () => {
    const all = [
      deployment(1, 'deleted'),
      deployment(2, 'healthy', 10),
      deployment(3, 'healthy'),
      deployment(4, 'healthy', 90),
      deployment(6, 'creating'),
    ];
    expect(supersededDeployments(all, 4)).toEqual([]);
    expect(supersededDeployments([deployment(1, 'healthy'), deployment(2, 'healthy')], 2, 0).map((d) => d.version)).toEqual([1]);
  });

  it('picks nothing without a production version', () => {
    expect(supersededDeployments([deployment(1, 'healthy'), deployment(2, 'healthy')], undefined)).toEqual([]);
  });
});
