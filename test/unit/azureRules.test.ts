import {
  aciResourceProblems,
  containerGroupNameProblems,
  defaultAciLimits,
  dnsNameLabelProblems,
  hdinsightClusterNameProblems,
  hdinsightPasswordProblems,
  hdinsightVersionProblems,
  hdinsightVmSizeProblems,
} from '../../shared/domain/azureRules';
import { validatePipelineSpec } from '../../shared/domain/pipelineSpec';

const count = () => 1;
const spec = (overrides: Record<string, unknown>) => ({
  name: 'fashion',
  scenario: 'image-classification',
  data: { source: { container: 'landing' } },
  candidates: { classifiers: [{ type: 'logistic_regression' }] },
  compute: { target: 'hdinsight' },
  deployment: { target: 'aci' },
  ...overrides,
});
const problemsOf = (input: unknown): string[] => {
  const result = validatePipelineSpec(input, count);
  return result.ok ? [] : result.problems;
};

describe('Azure container group names and DNS labels', () => {
  it('accepts what ACI accepts', () => {
    expect(containerGroupNameProblems('canopy-fashion-v12', 'name')).toEqual([]);
    expect(dnsNameLabelProblems('canopy-fashion-v12', 'label')).toEqual([]);
  });

  it('refuses consecutive, leading and trailing hyphens, upper case and over 63 characters in a group name', () => {
    expect(containerGroupNameProblems('canopy--x', 'name')).toEqual(['name: a container group name has no consecutive hyphens']);
    expect(containerGroupNameProblems('-x', 'name')).toEqual(['name: a container group name neither starts nor ends with a hyphen']);
    expect(containerGroupNameProblems('Canopy', 'name')).toEqual([
      'name: a container group name has only lower-case letters, digits and hyphens',
    ]);
    expect(containerGroupNameProblems('a'.repeat(64), 'name')).toEqual(['name: a container group name has 1–63 characters (got 64)']);
  });

  it('refuses a DNS label shorter than 5, starting with a digit or ending with a hyphen', () => {
    expect(dnsNameLabelProblems('abcd', 'l')).toEqual(['l: a DNS name label has 5–63 characters (got 4)']);
    for (const label of ['1abcde', 'abcde-', 'ab_cde'])
      expect(dnsNameLabelProblems(label, 'l')).toEqual([
        'l: a DNS name label has only lower-case letters, digits and hyphens, starts with a letter and ends with a letter or digit',
      ]);
  });

  it('refuses CPU and memory over the region limit', () => {
    expect(aciResourceProblems({ cpu: 4, memoryGb: 16 }, defaultAciLimits, 'deployment')).toEqual([]);
    expect(aciResourceProblems({ cpu: 6, memoryGb: 32 }, defaultAciLimits, 'deployment')).toEqual([
      "deployment.cpu: 6 CPUs exceed the region's container group limit of 4",
      "deployment.memoryGb: 32 GB exceed the region's container group limit of 16 GB",
    ]);
  });
});

describe('HDInsight rules', () => {
  it('checks cluster names: 3–59 characters, letters, digits, hyphens, alphanumeric ends', () => {
    expect(hdinsightClusterNameProblems('canopy-fashion-1a2b3c4d', 'c')).toEqual([]);
    for (const bad of ['ab', 'a'.repeat(60), '-abc', 'abc-', 'ab_c'])
      expect(hdinsightClusterNameProblems(bad, 'c')).toEqual([expect.stringMatching(/^c: an HDInsight cluster name has 3–59/)]);
  });

  it('accepts 5.1 with Spark 3.3 and refuses retired versions and mismatched components', () => {
    expect(hdinsightVersionProblems('5.1', '3.3', 'p')).toEqual([]);
    expect(hdinsightVersionProblems('3.6', '2.3', 'p')).toEqual([
      'p.clusterVersion: HDInsight 3.6 is retired or unknown; supported: 5.1, 4.0',
    ]);
    expect(hdinsightVersionProblems('5.1', '3.1', 'p')).toEqual(['p.componentVersion.Spark: HDInsight 5.1 offers Spark 3.3, not 3.1']);
  });

  it('knows which VM sizes HDInsight offers and which may be head nodes, ignoring case', () => {
    expect(hdinsightVmSizeProblems('headnode', 'standard_d12_v2', 'h')).toEqual([]);
    expect(hdinsightVmSizeProblems('workernode', 'Standard_D4_v2', 'w')).toEqual([]);
    expect(hdinsightVmSizeProblems('headnode', 'Standard_D4_v2', 'h')).toEqual([
      'h: Standard_D4_v2 is too small for an HDInsight head node (at least 4 cores and 28 GB, e.g. Standard_D12_v2)',
    ]);
    expect(hdinsightVmSizeProblems('workernode', 'Standard_B1s', 'w')).toEqual([
      'w: Standard_B1s is not a VM size HDInsight offers (e.g. Standard_D4_v2, Standard_D12_v2, Standard_E8_v3)',
    ]);
  });

  it('applies the password policy: 10 characters, digit, upper, lower, symbol, none of the quoting characters', () => {
    expect(hdinsightPasswordProblems('Fake-Passw0rd!', 'gateway')).toEqual([]);
    expect(hdinsightPasswordProblems('short1A!', 'gateway')).toEqual([
      'gateway: the HDInsight password policy needs at least 10 characters',
    ]);
    expect(hdinsightPasswordProblems('alllowercase', 'ssh')).toEqual([
      'ssh: the HDInsight password policy needs a digit, an upper-case letter, a non-alphanumeric character',
    ]);
    expect(hdinsightPasswordProblems('Quoted"Passw0rd', 'gateway')).toEqual([
      'gateway: an HDInsight password must not contain \' " ` or \\',
    ]);
  });
});

describe('the spec validator applies the Azure rules', () => {
  it('accepts the defaults for an HDInsight + ACI pipeline', () => {
    expect(problemsOf(spec({}))).toEqual([]);
  });

  it('names the field and the rule for each refusal', () => {
    expect(problemsOf(spec({ name: 'fashion--mnist' }))).toEqual([
      'name: (container group canopy-fashion--mnist-v1) a container group name has no consecutive hyphens',
    ]);
    expect(problemsOf(spec({ deployment: { target: 'aci', cpu: 8, memoryGb: 32 } }))).toEqual([
      "deployment.cpu: 8 CPUs exceed the region's container group limit of 4",
      "deployment.memoryGb: 32 GB exceed the region's container group limit of 16 GB",
    ]);
    expect(problemsOf(spec({ compute: { target: 'hdinsight', headVmSize: 'Standard_D4_v2', workerVmSize: 'Standard_Q1' } }))).toEqual([
      'compute.headVmSize: Standard_D4_v2 is too small for an HDInsight head node (at least 4 cores and 28 GB, e.g. Standard_D12_v2)',
      'compute.workerVmSize: Standard_Q1 is not a VM size HDInsight offers (e.g. Standard_D4_v2, Standard_D12_v2, Standard_E8_v3)',
    ]);
  });

  it('leaves local targets alone: a local deployment may have consecutive hyphens and any size', () => {
    expect(
      problemsOf(spec({ name: 'fashion--mnist', compute: { target: 'local-spark' }, deployment: { target: 'local', cpu: 8 } })),
    ).toEqual([]);
  });
});
