import { DeploymentRecord, ModelRegistry } from '../../shared/ports/modelRegistry';

/** Registers versions 1..n of `model` and one deployment per version at the given endpoint and share. */
export async function registerModel(
  registry: ModelRegistry,
  model: string,
  deployments: { endpoint: string; trafficPercent: number }[],
): Promise<DeploymentRecord[]> {
  const now = new Date();
  const records: DeploymentRecord[] = [];
  for (const [i, d] of deployments.entries()) {
    const version = await registry.createVersion(
      model,
      {
        packageUri: `file:///nowhere/${model}/v${i + 1}`,
        metrics: { accuracy: 0.9 } as never,
        lineage: {
          pipeline: model,
          instanceId: `${model}--${i + 1}`,
          candidateId: 'c1',
          classifier: 'logistic_regression',
          featurizer: 'squeezenet1.1',
          params: {},
          specVersion: 1,
          dataSnapshot: 'x',
        },
      },
      now,
    );
    const record: DeploymentRecord = {
      model,
      name: `${model}-v${version.version}`,
      version: version.version,
      target: 'local',
      endpoint: d.endpoint,
      state: 'healthy',
      trafficPercent: d.trafficPercent,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await registry.upsertDeployment(record);
    records.push(record);
  }
  return records;
}
