import { chooseDeployment, routableDeployments, splitForNewDeployment, validateTrafficSplit } from '../../shared/domain/trafficSplit';
import { DeploymentRecord } from '../../shared/ports/modelRegistry';

function deployment(name: string, version: number, trafficPercent: number, state: DeploymentRecord['state'] = 'healthy'): DeploymentRecord {
  return {
    model: 'm',
    name,
    version,
    target: 'local',
    endpoint: `http://127.0.0.1:1/${name}`,
    state,
    trafficPercent,
    createdAt: '2026-11-22T00:00:00.000Z',
    updatedAt: '2026-11-22T00:00:00.000Z',
  };
}

describe('chooseDeployment', () => {
  const a = deployment('a', 1, 90);
  const b = deployment('b', 2, 10);

  it('maps the random number onto the cumulative shares', () => {
    expect(chooseDeployment([a, b], 0)?.name).toBe('a');
    expect(chooseDeployment([a, b], 0.8999)?.name).toBe('a');
    expect(chooseDeployment([a, b], 0.9)?.name).toBe('b');
    expect(chooseDeployment([a, b], 0.99999)?.name).toBe('b');
  });

  it('gives each deployment its share of evenly spread draws', () => {
    const counts: Record<string, number> = { a: 0, b: 0 };
    for (let i = 0; i < 1000; i++) counts[chooseDeployment([a, b], i / 1000)!.name] += 1;
    expect(counts).toEqual({ a: 900, b: 100 });
  });

  it('normalises shares that do not add up to 100 and answers nothing when there is no share', () => {
    expect(chooseDeployment([deployment('x', 1, 30), deployment('y', 2, 30)], 0.49)?.name).toBe('x');
    expect(chooseDeployment([deployment('x', 1, 30), deployment('y', 2, 30)], 0.51)?.name).toBe('y');
    expect(chooseDeployment([], 0.5)).toBeUndefined();
    expect(chooseDeployment([deployment('z', 1, 0)], 0.5)).toBeUndefined();
  });
});

describe('routableDeployments', () => {
  it('keeps healthy deployments with an endpoint and a share', () => {
    const noEndpoint = { ...deployment('e', 5, 10), endpoint: undefined };
    const routable = routableDeployments([
      deployment('a', 1, 50),
      deployment('b', 2, 0),
      deployment('c', 3, 25, 'failed'),
      deployment('d', 4, 25, 'creating'),
      noEndpoint,
    ]);
    expect(routable.map((d) => d.name)).toEqual(['a']);
  });
});

describe('validateTrafficSplit', () => {
  const deployments = [deployment('a', 1, 100), deployment('b', 2, 0), deployment('c', 3, 0, 'failed')];

  it('accepts integers adding up to 100 on healthy deployments and gives the others 0', () => {
    expect(validateTrafficSplit({ deployments: { a: 90, b: 10 } }, deployments)).toEqual({ ok: true, split: { a: 90, b: 10, c: 0 } });
    expect(validateTrafficSplit({ deployments: { b: 100 } }, deployments)).toEqual({ ok: true, split: { a: 0, b: 100, c: 0 } });
  });

  it('lists every problem: unknown or unhealthy deployments, non-integers, out of range, a wrong sum', () => {
    const result = validateTrafficSplit({ deployments: { a: 50.5, c: 10, nope: 10, b: 120 } }, deployments);
    expect(result.ok).toBe(false);
    const problems = (result as { problems: string[] }).problems;
    expect(problems).toEqual([
      'deployments.a: the share must be an integer from 0 to 100',
      'deployments.c: the deployment is failed, not healthy',
      'deployments.nope: no such deployment',
      'deployments.b: the share must be an integer from 0 to 100',
    ]);
    expect(validateTrafficSplit({ deployments: { a: 60, b: 30 } }, deployments)).toEqual({
      ok: false,
      problems: ['the shares must add up to 100 (they add up to 90)'],
    });
  });

  it('refuses a body without a deployments object', () => {
    for (const body of [undefined, {}, { deployments: [1] }, { deployments: 'a' }])
      expect(validateTrafficSplit(body, deployments).ok).toBe(false);
  });
});

describe('splitForNewDeployment', () => {
  it('gives a canary its share and production the rest, the others 0', () => {
    const deployments = [deployment('v1', 1, 0), deployment('v2', 2, 100), deployment('v3', 3, 0)];
    expect(splitForNewDeployment(deployments, 'v3', 2, 10)).toEqual({ split: { v1: 0, v2: 90, v3: 10 }, canary: true });
  });

  it('gives the newcomer everything without a canary share or without a healthy production deployment', () => {
    const deployments = [deployment('v1', 1, 100), deployment('v2', 2, 0)];
    expect(splitForNewDeployment(deployments, 'v2', 1, 100)).toEqual({ split: { v1: 0, v2: 100 }, canary: false });
    expect(splitForNewDeployment(deployments, 'v2', undefined, 10)).toEqual({ split: { v1: 0, v2: 100 }, canary: false });
    const broken = [deployment('v1', 1, 100, 'failed'), deployment('v2', 2, 0)];
    expect(splitForNewDeployment(broken, 'v2', 1, 10)).toEqual({ split: { v1: 0, v2: 100 }, canary: false });
  });
});
