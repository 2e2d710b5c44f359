import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Cluster, ClusterCreateParametersExtended, HDInsightManagementClient } from '@azure/arm-hdinsight';
import { AzureResourcesConfig } from '../../config';
import {
  hdinsightClusterNameProblems,
  hdinsightPasswordProblems,
  hdinsightVersionProblems,
  hdinsightVmSizeProblems,
} from '../../domain/azureRules';
import { canopyTags } from '../../domain/resourceTags';
import { permanent, toCanopyError } from '../../errors';
import { BlobRef, BlobStore } from '../../ports/blobStore';
import { BatchPartState, BatchRequest, BatchStatus, ClusterRequest, ClusterStatus, ComputeTarget } from '../../ports/computeTarget';
import { abfsUri, copyFolder } from './hdinsightStorage';
import {
  JobBundle,
  JobEnvironment,
  jobEnvironmentArchiveName,
  jobEnvironmentBatchFields,
  locateJobEnvironment,
  packageZip,
  readJobBundle,
} from './hdinsightJobBundle';
import { armCall, armError, isArmNotFound } from './armErrors';
import { LivyBatch, LivyBatchRequest, LivyClient, toBatchState } from './livyClient';
import { gridParts, outcomeFromStorage } from './hdinsightBatchOutcome';

export interface HdinsightDeps {
  azure: AzureResourcesConfig;
  clusters: Pick<HDInsightManagementClient['clusters'], 'beginCreate' | 'get' | 'beginDelete'>;
  /** The Livy client of a cluster (its gateway, with the gateway credentials). */
  livy(cluster: string): LivyClient;
  gatewayPassword(): Promise<string>;
  /** The app's storage: batch inputs are read from it, outputs brought back to it. */
  data: BlobStore;
  /** The clusters' default storage (ADLS Gen2 in Azure, Azurite against the fakes), container `azure.clusterStorage.container`. */
  clusterStorage: BlobStore;
  jobsDir: string;
  /**
   * The jobs' Python environment every batch ships (`jobs/pack_environment.py`); by default the one packed for the
   * current lock under `jobsDir`, required in Azure. Against the fakes, whose Livy runs the jobs on `jobs/.venv`, none
   * unless given here.
   */
  jobEnvironment?: JobEnvironment;
  /** Folder of prepared featurizers, `<name>-pooled.onnx`. */
  modelsDir: string;
}

/** HDInsight 5.1 (Spark 3.3). */
const clusterVersion = '5.1';
const sparkVersion = '3.3';
const logTailLines = 40;
const sshUser = 'canopy-ssh';

/** What a batch's submission recorded for its polls: where its output goes on the cluster and back in the app's storage. */
interface BatchRecord {
  name: string;
  clusterOutput: string;
  output: BatchRequest['output'];
  /** A grid batch's candidate ids, each ending its own `<part>/` with `_SUCCESS` or `_FAILED`. */
  parts?: string[];
}

/**
 * Written to the cluster storage before `POST /batches` and completed with the batch id after it: a submit whose
 * answer was lost finds its batch among those Livy numbered after `after`, instead of submitting again.
 */
interface SubmissionClaim extends BatchRecord {
  after: number;
  batchId?: number;
}

/** The batch an unanswered submission created: the one with its name, or, from a Livy that returns no names, the only one submitted since. */
function claimedBatch(batches: LivyBatch[], claim: SubmissionClaim): number | undefined {
  const since = batches.filter((b) => b.id > claim.after);
  const named = since.find((b) => b.name === claim.name);
  if (named) return named.id;
  const nameless = since.filter((b) => b.name === undefined || b.name === null);
  return nameless.length === 1 && since.length === 1 ? nameless[0].id : undefined;
}

const hash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/**
 * HDInsight Spark as a compute target: clusters through ARM (`@azure/arm-hdinsight`, api-version 2021-06-01), batches
 * through Livy. The cluster's default storage is the clusters' ADLS Gen2 account, reached by the cluster with the
 * user-assigned workload identity (no storage keys). Before a batch runs, the jobs bundle (once per content hash), the
 * featurizer and the batch's input folder are put there; after it succeeded its output folder is brought back to
 * the app's storage, so `outputRef` points at the same place as the local target's.
 *
 * The input is copied rather than read in place: the app's storage account is a plain blob account, and Spark's
 * abfs driver with a managed identity needs the ADLS Gen2 (hierarchical namespace) account the cluster owns.
 */
export class HdinsightComputeTarget implements ComputeTarget {
  readonly kind = 'hdinsight';
  #bundle?: JobBundle;
  #environment?: JobEnvironment;
  readonly #account: string;

  constructor(private readonly deps: HdinsightDeps) {
    this.#account = deps.azure.clusterStorage.resourceId.split('/').pop() ?? '';
  }

  get #rg(): string {
    return this.deps.azure.computeResourceGroup;
  }

  get #container(): string {
    return this.deps.azure.clusterStorage.container;
  }

  async beginCreateCluster(request: ClusterRequest): Promise<void> {
    const problems = [
      ...hdinsightClusterNameProblems(request.name, 'cluster name'),
      ...hdinsightVersionProblems(clusterVersion, sparkVersion, 'cluster'),
      ...hdinsightVmSizeProblems('headnode', request.headVmSize, 'compute.headVmSize'),
      ...hdinsightVmSizeProblems('workernode', request.workerVmSize, 'compute.workerVmSize'),
    ];
    if (problems.length > 0)
      throw permanent('SPEC.INVALID', `HDInsight would refuse cluster ${request.name}: ${problems.join('; ')}`, { problems });
    if (await this.#get(request.name)) return;
    const parameters = await this.#createParameters(request);
    await armCall(() => this.deps.clusters.beginCreate(this.#rg, request.name, parameters));
  }

  async getCluster(name: string): Promise<ClusterStatus | undefined> {
    const cluster = await this.#get(name);
    if (!cluster) return undefined;
    const { provisioningState, clusterState, errors } = cluster.properties ?? {};
    // Every terminal state but success ends the wait (2021-06-01 HDInsightClusterProvisioningState: Canceled, Failed).
    if (provisioningState === 'Failed' || provisioningState === 'Canceled' || clusterState === 'Error' || clusterState === 'TimedOut')
      return {
        state: 'failed',
        error:
          (errors ?? []).map((e) => `${e.code}: ${e.message}`).join('; ') ||
          `cluster ${name} ${provisioningState === 'Canceled' ? 'was canceled' : 'failed'} (${clusterState ?? provisioningState})`,
      };
    if (provisioningState === 'Deleting' || clusterState === 'Deleting') return { state: 'deleting' };
    if (provisioningState === 'Succeeded' && clusterState === 'Running') return { state: 'running' };
    return { state: 'creating' };
  }

  async beginDeleteCluster(name: string): Promise<void> {
    const cluster = await this.#get(name);
    // Only clusters Canopy created carry its tags: an attached existing cluster is never deleted.
    if (!cluster?.tags?.[canopyTags.instance]) return;
    if (cluster.properties?.provisioningState === 'Deleting') return;
    await armCall(() => this.deps.clusters.beginDelete(this.#rg, name));
  }

  async submitBatch(cluster: string, request: BatchRequest): Promise<{ batchId: string }> {
    const state = await this.getCluster(cluster);
    if (state?.state !== 'running')
      throw permanent('COMPUTE.NOT_RUNNING', `cluster ${cluster} is not running (${state?.state ?? 'missing'})`);
    // Livy names are unique per cluster; an attached cluster serves several runs, so the output location disambiguates.
    const name = `${request.name}-${hash(`${request.output.container}/${request.output.prefix}`).slice(0, 10)}`;
    const livy = this.deps.livy(cluster);
    const record: BatchRecord = {
      name,
      clusterOutput: this.#outputPrefix(request.output),
      output: request.output,
      parts: gridParts(request.args),
    };
    // The claim, keyed by the output location, is what makes a retried submit find its batch: Livy's `name` is not
    // returned by every Livy build, and Livy forgets ended batches.
    const claim = await this.#readClaim(cluster, request.output);
    if (claim?.batchId !== undefined && !(await this.#wasKilled(cluster, String(claim.batchId)))) return { batchId: String(claim.batchId) };
    if (claim && claim.batchId === undefined) {
      const submitted = claimedBatch(await livy.list(), claim);
      if (submitted !== undefined) return this.#recordSubmitted(cluster, submitted, record);
    }
    const idsBefore = (await livy.list()).map((b) => b.id);
    await this.#writeClaim(cluster, { ...record, after: Math.max(-1, ...idsBefore) });
    const body = await this.#stageBatch(cluster, name, request);
    let batchId: number;
    try {
      batchId = (await livy.submit(body)).id;
    } catch (err) {
      // Submitted concurrently (the activity ran twice): the first submission stands.
      const first = toCanopyError(err).code === 'LIVY.BAD_REQUEST' ? (await livy.list()).find((b) => b.name === name) : undefined;
      if (!first) throw err;
      batchId = first.id;
    }
    return this.#recordSubmitted(cluster, batchId, record);
  }

  async getBatch(cluster: string, batchId: string): Promise<BatchStatus | undefined> {
    if (!/^\d+$/.test(batchId)) return undefined;
    const livy = this.deps.livy(cluster);
    const batch = await livy.get(Number(batchId));
    const record = await this.#readRecord(cluster, Number(batchId));
    let status: BatchStatus;
    if (batch) {
      const state = toBatchState(batch.state);
      if (state === 'dead') return { state, log: (await livy.logTail(batch.id, logTailLines)).join('\n') };
      if (state !== 'success') return { state };
      if (!record) return { state: 'dead', log: `batch ${batchId} has no submission record on cluster ${cluster}` };
      status = { state };
    } else {
      // Livy forgets a batch at once after DELETE and an ended one after its retain time: the storage still knows.
      if (await this.#wasKilled(cluster, batchId)) return { state: 'killed' };
      if (!record) return undefined;
      status = await outcomeFromStorage(
        this.deps.clusterStorage,
        { container: this.#container, clusterOutput: record.clusterOutput, parts: record.parts ?? [] },
        `${batchId} on cluster ${cluster}`,
      );
      if (status.state !== 'success') return status;
    }
    await copyFolder(
      { store: this.deps.clusterStorage, container: this.#container, prefix: record.clusterOutput },
      { store: this.deps.data, container: record.output.container, prefix: record.output.prefix },
      '.canopy-copied',
    );
    return status;
  }

  async killBatch(cluster: string, batchId: string): Promise<void> {
    // Livy ids are numbers; anything else (a batch name that was never submitted here) names no Livy batch.
    if (!/^\d+$/.test(batchId)) return;
    // Livy forgets a batch at once after DELETE; the kill is remembered next to the submission record instead.
    if (await this.#readRecord(cluster, Number(batchId)))
      await this.deps.clusterStorage.create(
        { container: this.#container, name: this.#killMarker(cluster, batchId) },
        new Date().toISOString(),
      );
    await this.deps.livy(cluster).delete(Number(batchId));
  }

  async getBatchPart(cluster: string, batchId: string, part: string): Promise<BatchPartState | undefined> {
    if (!/^\d+$/.test(batchId) || !/^[a-z0-9][a-z0-9._-]{0,120}$/.test(part)) return undefined;
    const record = await this.#readRecord(cluster, Number(batchId));
    if (!record) return undefined;
    const from = `${record.clusterOutput}${part}/`;
    const marker = async (name: string) => this.deps.clusterStorage.getInfo({ container: this.#container, name: `${from}${name}` });
    const state = (await marker('_SUCCESS')) ? 'success' : (await marker('_FAILED')) ? 'failed' : undefined;
    if (!state) return undefined;
    await copyFolder(
      { store: this.deps.clusterStorage, container: this.#container, prefix: from },
      { store: this.deps.data, container: record.output.container, prefix: `${record.output.prefix}${part}/` },
      '.canopy-copied',
    );
    return state;
  }

  outputRef(request: Pick<BatchRequest, 'output'>, file: string): BlobRef {
    return { container: request.output.container, name: `${request.output.prefix}${file}` };
  }

  async #get(name: string): Promise<Cluster | undefined> {
    try {
      return await this.deps.clusters.get(this.#rg, name);
    } catch (err) {
      if (isArmNotFound(err)) return undefined;
      throw armError(err);
    }
  }

  async #createParameters(request: ClusterRequest): Promise<ClusterCreateParametersExtended> {
    const { azure } = this.deps;
    const password = await this.deps.gatewayPassword();
    const problems = hdinsightPasswordProblems(password, `gateway password (secret ${azure.hdinsight.gatewayPasswordSecret})`);
    if (problems.length > 0) throw permanent('CONFIG.INVALID', problems.join('; '), { problems });
    const linuxOperatingSystemProfile = azure.hdinsight.sshPublicKey
      ? { username: sshUser, sshProfile: { publicKeys: [{ certificateData: azure.hdinsight.sshPublicKey }] } }
      : { username: sshUser, password };
    const role = (name: string, vmSize: string, count: number) => ({
      name,
      targetInstanceCount: count,
      hardwareProfile: { vmSize },
      osProfile: { linuxOperatingSystemProfile },
    });
    return {
      location: azure.location,
      tags: { [canopyTags.kind]: 'cluster', ...request.tags },
      identity: { type: 'UserAssigned', userAssignedIdentities: { [azure.workloadIdentity.resourceId]: {} } },
      properties: {
        clusterVersion,
        osType: 'Linux',
        tier: 'Standard',
        minSupportedTlsVersion: '1.2',
        clusterDefinition: {
          kind: 'spark',
          componentVersion: { Spark: '3.3' },
          configurations: {
            gateway: {
              'restAuthCredential.isEnabled': true,
              'restAuthCredential.username': azure.hdinsight.gatewayUser,
              'restAuthCredential.password': password,
            },
          },
        },
        computeProfile: {
          roles: [role('headnode', request.headVmSize, 2), role('workernode', request.workerVmSize, request.workerNodes)],
        },
        storageProfile: {
          storageaccounts: [
            {
              name: `${this.#account}.dfs.core.windows.net`,
              isDefault: true,
              fileSystem: this.#container,
              resourceId: azure.clusterStorage.resourceId,
              msiResourceId: azure.workloadIdentity.resourceId,
            },
          ],
        },
      },
    };
  }

  /** Puts what the batch reads on the cluster storage and returns its Livy body. */
  async #stageBatch(cluster: string, name: string, request: BatchRequest): Promise<LivyBatchRequest> {
    const jobs = await this.#uploadJobs();
    const uri = (blob: string) => abfsUri(this.#account, this.#container, blob);
    const args = ['--input', uri(await this.#stageFolder(request.input)), '--output', uri(this.#outputPrefix(request.output))];
    if (request.featurizer)
      args.push(
        '--featurizer',
        uri(await this.#uploadFeaturizer(request.featurizer)),
        '--features-cache',
        uri(`features/${cluster}/${request.featurizer}/`),
      );
    if (request.model) args.push('--model', uri(await this.#stageFolder(request.model)));
    const environment = await this.#uploadEnvironment();
    return {
      name,
      file: uri(`${jobs}${request.job}.py`),
      pyFiles: [uri(`${jobs}${packageZip}`)],
      ...(environment ? jobEnvironmentBatchFields(uri(environment)) : {}),
      args: [...args, ...request.args],
    };
  }

  /** Puts the jobs' environment on the cluster storage once per hash; returns its blob, or undefined when none is shipped. */
  async #uploadEnvironment(): Promise<string | undefined> {
    this.#environment ??= this.deps.jobEnvironment ?? (this.deps.azure.fakes ? undefined : locateJobEnvironment(this.deps.jobsDir));
    if (!this.#environment) return undefined;
    const { hash: environmentHash, archive } = this.#environment;
    const name = `environments/${environmentHash}/${jobEnvironmentArchiveName}`;
    const marker = { container: this.#container, name: `environments/${environmentHash}/.canopy-uploaded` };
    if (await this.deps.clusterStorage.getInfo(marker)) return name;
    if (!fs.existsSync(archive))
      throw permanent(
        'COMPUTE.ENVIRONMENT_MISSING',
        `the jobs' Python environment for the cluster is not packed (${archive}); run 'python jobs/pack_environment.py' before deploying`,
      );
    await this.deps.clusterStorage.ensureContainer(this.#container);
    await this.deps.clusterStorage.create({ container: this.#container, name }, fs.readFileSync(archive), {
      contentType: 'application/gzip',
    });
    await this.deps.clusterStorage.create(marker, new Date().toISOString());
    return name;
  }

  async #uploadJobs(): Promise<string> {
    this.#bundle ??= readJobBundle(this.deps.jobsDir);
    const prefix = `jobs/${this.#bundle.hash}/`;
    const marker = { container: this.#container, name: `${prefix}.canopy-uploaded` };
    if (await this.deps.clusterStorage.getInfo(marker)) return prefix;
    await this.deps.clusterStorage.ensureContainer(this.#container);
    for (const [file, content] of this.#bundle.files)
      await this.deps.clusterStorage.create({ container: this.#container, name: `${prefix}${file}` }, content);
    await this.deps.clusterStorage.create(marker, new Date().toISOString());
    return prefix;
  }

  async #uploadFeaturizer(featurizer: string): Promise<string> {
    const file = path.join(this.deps.modelsDir, `${featurizer}-pooled.onnx`);
    if (!fs.existsSync(file))
      throw permanent('COMPUTE.FEATURIZER_MISSING', `featurizer ${featurizer} is not prepared (${file}); run jobs/setup.sh`);
    const content = fs.readFileSync(file);
    const name = `featurizers/${hash(content.toString('base64'))}/${featurizer}-pooled.onnx`;
    if (!(await this.deps.clusterStorage.getInfo({ container: this.#container, name })))
      await this.deps.clusterStorage.create({ container: this.#container, name }, content);
    return name;
  }

  /** Copies a folder of the app's storage to the cluster storage once; returns its prefix there. */
  async #stageFolder(folder: { container: string; prefix: string }): Promise<string> {
    const prefix = `staged/${hash(`${folder.container}/${folder.prefix}`)}/`;
    await copyFolder(
      { store: this.deps.data, ...folder },
      { store: this.deps.clusterStorage, container: this.#container, prefix },
      '.canopy-staged',
    );
    return prefix;
  }

  #outputPrefix(output: BatchRequest['output']): string {
    return `outputs/${hash(`${output.container}/${output.prefix}`)}/`;
  }

  async #recordSubmitted(cluster: string, batchId: number, record: BatchRecord): Promise<{ batchId: string }> {
    await this.#writeRecord(cluster, batchId, record);
    await this.#writeClaim(cluster, { ...record, after: batchId - 1, batchId });
    return { batchId: String(batchId) };
  }

  #claimRef(cluster: string, output: BatchRequest['output']): BlobRef {
    return { container: this.#container, name: `batches/${cluster}/claims/${hash(`${output.container}/${output.prefix}`)}.json` };
  }

  async #writeClaim(cluster: string, claim: SubmissionClaim): Promise<void> {
    await this.deps.clusterStorage.ensureContainer(this.#container);
    await this.deps.clusterStorage.create(this.#claimRef(cluster, claim.output), JSON.stringify(claim), {
      contentType: 'application/json',
    });
  }

  async #readClaim(cluster: string, output: BatchRequest['output']): Promise<SubmissionClaim | undefined> {
    const content = await this.deps.clusterStorage.get(this.#claimRef(cluster, output));
    return content ? (JSON.parse(content.toString('utf8')) as SubmissionClaim) : undefined;
  }

  async #wasKilled(cluster: string, batchId: string): Promise<boolean> {
    return (await this.deps.clusterStorage.getInfo({ container: this.#container, name: this.#killMarker(cluster, batchId) })) !== undefined;
  }

  async #writeRecord(cluster: string, batchId: number, record: BatchRecord): Promise<void> {
    await this.deps.clusterStorage.create(
      { container: this.#container, name: `batches/${cluster}/${batchId}.json` },
      JSON.stringify(record),
      {
        contentType: 'application/json',
      },
    );
  }

  #killMarker(cluster: string, batchId: string): string {
    return `batches/${cluster}/${batchId}.killed`;
  }

  async #readRecord(cluster: string, batchId: number): Promise<BatchRecord | undefined> {
    const content = await this.deps.clusterStorage.get({ container: this.#container, name: `batches/${cluster}/${batchId}.json` });
    return content ? (JSON.parse(content.toString('utf8')) as BatchRecord) : undefined;
  }
}
