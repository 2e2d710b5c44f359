/** Price per node-hour by VM size, in USD; a configurable table (defaults are list prices, East US, pay-as-you-go). */
export type PriceTable = Record<string, number>;

export const defaultPrices: PriceTable = {
  // HDInsight charges VM + HDInsight surcharge per node-hour.
  Standard_D12_v2: 0.58,
  Standard_D13_v2: 1.16,
  Standard_D4_v2: 0.99,
  Standard_D5_v2: 1.98,
  Standard_E8_v3: 0.84,
  // ACI: per vCPU-hour and per GB-hour.
  'aci-vcpu': 0.0405,
  'aci-gb': 0.00445,
  // Local compute costs nothing but is tracked the same way.
  local: 0,
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

export function containerCostPerHour(cpu: number, memoryGb: number, prices: PriceTable): number {
  return cpu * (prices['aci-vcpu'] ?? 0) + memoryGb * (prices['aci-gb'] ?? 0);
}
