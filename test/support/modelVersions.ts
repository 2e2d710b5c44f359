import { ModelRegistry, ModelVersion } from '../../shared/ports/modelRegistry';

/** Registers a version of `model` with placeholder lineage, as a run `instanceId` would, for tests about versions and traffic. */
export function registerTestVersion(registry: ModelRegistry, model: string, instanceId: string, packageUri: string): Promise<ModelVersion> {
  return registry.createVersion(
    model,
    {
      packageUri,
      metrics: { accuracy: 0.9 } as never,
      lineage: {
        pipeline: model,
        instanceId,
        candidateId: 'c',
        classifier: 'logistic_regression',
        featurizer: 'squeezenet1.1',
        params: {},
        specVersion: 1,
        dataSnapshot: 's',
      },
    },
    new Date(),
  );
}
