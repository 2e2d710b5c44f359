import { metricValue } from '../domain/selection';
import { ModelRegistry } from '../ports/modelRegistry';
import { PipelineRun, RunStore } from '../ports/runStore';
import { SpecStore } from '../ports/specStore';

export interface PipelineOverview {
  name: string;
  version: number;
  scenario: string;
  metric: string;
  schedule: string | null;
  lastRun: PipelineRun | null;
  production: {
    model: string;
    version: number;
    accuracy: number;
    classAverageAccuracy: number;
    macroRocAuc: number | null;
    promotedAt?: string;
  } | null;
}

/** Every pipeline with its last run and its production model (a pipeline registers its models under its own name). */
export async function pipelinesOverview(deps: { specs: SpecStore; runs: RunStore; registry: ModelRegistry }): Promise<PipelineOverview[]> {
  const specs = await deps.specs.list();
  return Promise.all(
    specs
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(async (stored) => {
        const [runs, production] = await Promise.all([
          deps.runs.listPipelineRuns(stored.name, { top: 1 }),
          deps.registry.getProduction(stored.name),
        ]);
        const macroRocAuc = production ? metricValue('macroRocAuc', production.metrics) : Number.NaN;
        return {
          name: stored.name,
          version: stored.version,
          scenario: stored.spec.scenario,
          metric: stored.spec.selection.metric,
          schedule: stored.spec.schedule ?? null,
          lastRun: runs.items[0] ?? null,
          production: production
            ? {
                model: production.model,
                version: production.version,
                accuracy: production.metrics.accuracy,
                classAverageAccuracy: production.metrics.classAverageAccuracy,
                macroRocAuc: Number.isFinite(macroRocAuc) ? macroRocAuc : null,
                promotedAt: production.promotedAt,
              }
            : null,
        };
      }),
  );
}
