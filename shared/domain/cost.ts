import { PipelineSpec } from './pipelineSpec';

/** Price per node-hour by VM size, in USD; a configurable table (defaults are list prices, East US, pay-as-you-go). */
export type PriceTable = Record<string, number>;

export const defaultPrices: PriceTable = {
  // HDInsight charges VM + HDInsight surcharge per node-hour.
  Standard_D12_v2: 0.58,
  Standard_D13_v2: 1.16,
  Standard_D4_v2: 0.99,
  Standard_D5_v2: 1.98,
  Standard_E8_v3: 0.84,
};

export interface ClusterShape {
  headVmSize: string;
  headNodes: number;
  workerVmSize: string;
  workerNodes: number;
}

export function clusterCostPerHour(shape: ClusterShape, prices: PriceTable): number {
  const price = (size: string): number => {
    const p = prices[size];
    if (p === undefined) throw new Error(`no price for VM size ${size}; add it to the price table`);
    return p;
  };
  return shape.headNodes * price(shape.headVmSize) + shape.workerNodes * price(shape.workerVmSize);
}

/** Cost of running a shape for a duration, rounded to the cent. */
export function costOf(perHour: number, seconds: number): number {
  return Math.round(((perHour * seconds) / 3600) * 100) / 100;
}

/** HDInsight Spark clusters always have two head nodes. */
const headNodes = 2;

/** Nodes a run's own cluster bills for; an attached or local cluster bills the run for none. */
export function computeNodes(spec: PipelineSpec): number {
  if (spec.compute.target === 'local-spark' || spec.compute.existingCluster) return 0;
  return headNodes + spec.compute.workerNodes;
}

/** Estimated cost rate of a spec's compute, for the run's status; an attached cluster is not the run's to pay for. */
export function computeCostPerHour(spec: PipelineSpec, prices: PriceTable): number {
  if (computeNodes(spec) === 0) return 0;
  return clusterCostPerHour(
    { headVmSize: spec.compute.headVmSize, headNodes, workerVmSize: spec.compute.workerVmSize, workerNodes: spec.compute.workerNodes },
    prices,
  );
}
