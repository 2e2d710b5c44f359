import { Composition } from '../../../shared/composition';
import { candidateOutput, dataSnapshot } from '../../../shared/domain/runLocations';
import { decidePromotion, metricValue, rankCandidates } from '../../../shared/domain/selection';
import { failure, HandlersOf } from '../../durable/contract';
import { specOf } from '../../hosting/runSpec';
import { pipelineActivities } from '../contracts';

type Handlers = HandlersOf<typeof pipelineActivities>;

/** The best candidate against production (champion/challenger), and its registration with lineage. */
export function selectionActivities({
  blobs,
  specs,
  runs,
  registry,
  clock,
}: Pick<Composition, 'blobs' | 'specs' | 'runs' | 'registry' | 'clock'>): Pick<Handlers, 'selectModel' | 'registerModel'> {
  return {
    async selectModel({ run }) {
      const spec = await specOf(specs, run);
      const metric = spec.selection.metric;
      const succeeded = (await runs.listCandidateRuns(run.pipeline, run.instanceId)).filter(
        (c) => c.instanceId === run.instanceId && c.status === 'succeeded' && c.metrics,
      );
      const ranked = rankCandidates(
        metric,
        succeeded.map((c) => ({ candidateId: c.candidateId, metrics: c.metrics!, trainSeconds: c.durationSeconds ?? 0 })),
      );
      if (ranked.length === 0) return failure('SELECT.NO_CANDIDATE', `no candidate has a finite ${metric}`);
      const winner = succeeded.find((c) => c.candidateId === ranked[0].candidateId)!;
      const value = metricValue(metric, winner.metrics!);
      const production = await registry.getProduction(run.pipeline);
      const decision = decidePromotion(
        metric,
        spec.selection.minImprovement,
        { version: `run ${run.instanceId}`, value },
        production ? { version: `v${production.version}`, value: metricValue(metric, production.metrics) } : undefined,
      );
      return {
        ok: true,
        best: { candidateId: winner.candidateId, classifier: winner.classifier, featurizer: winner.featurizer, metric, value },
        promote: decision.promote,
        reason: decision.reason,
      };
    },

    async registerModel({ run, best, dataVersion }) {
      const spec = await specOf(specs, run);
      const candidate = await runs.getCandidateRun(run.pipeline, run.instanceId, best.candidateId);
      if (!candidate?.metrics) return failure('REGISTER.NO_CANDIDATE', `candidate ${best.candidateId} has no recorded metrics`);
      const output = candidateOutput(run, spec, best.candidateId);
      const manifestText = await blobs.get({ container: output.container, name: `${output.prefix}model/manifest.json` });
      if (!manifestText) return failure('REGISTER.NO_PACKAGE', `candidate ${best.candidateId} has no model package`);
      const manifest = JSON.parse(manifestText.toString('utf8')) as { lineage?: { jobCodeSha256?: string } };
      const snapshot = dataSnapshot(run, spec);
      const version = await registry.createVersion(
        run.pipeline,
        {
          packageUri: blobs.url({ container: output.container, name: `${output.prefix}model/` }),
          metrics: candidate.metrics,
          lineage: {
            pipeline: run.pipeline,
            instanceId: run.instanceId,
            candidateId: candidate.candidateId,
            classifier: candidate.classifier,
            featurizer: candidate.featurizer,
            params: candidate.params,
            specVersion: run.specVersion,
            dataSnapshot: `${blobs.url({ container: snapshot.container, name: snapshot.prefix })} (data version ${dataVersion})`,
            jobCodeSha256: manifest.lineage?.jobCodeSha256,
          },
        },
        clock.now(),
      );
      return { ok: true, model: version.model, version: version.version, packageUri: version.packageUri };
    },
  };
}
