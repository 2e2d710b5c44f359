import { BlobServiceClient } from '@azure/storage-blob';
import { AzureBlobCopier } from '../../shared/adapters/azure/blobCopyPager';
import { sharedKeySigner } from '../../shared/adapters/azure/blobCopySource';
import { BlobFake } from '../../devhost/azureFakes/blobFake';
import { testEndpoints } from '../support/testStack';
import { BlobCopierSubject, describeBlobCopier } from './blobCopy.contract';

// One adapter, two endpoints: Azurite itself, and the blob fake in front of it (which must change nothing while no
// fault is injected). Source and target are different clients, as they are for a cross-account copy.
const noSdkRetries = { retryOptions: { maxTries: 1 } };

function subjectOn(connectionString: string): BlobCopierSubject {
  const source = BlobServiceClient.fromConnectionString(connectionString, noSdkRetries);
  const target = BlobServiceClient.fromConnectionString(connectionString, noSdkRetries);
  return { copier: new AzureBlobCopier(source, sharedKeySigner(source), target), source, target };
}

describeBlobCopier('Azurite', () => azurite);
const azurite = subjectOn(testEndpoints.storageConnectionString);

let fake: BlobFake;
let throughFake: BlobCopierSubject;
beforeAll(async () => {
  fake = await BlobFake.start(`http://127.0.0.1:${testEndpoints.ports.blob}`);
  throughFake = subjectOn(testEndpoints.storageConnectionString.replace(/BlobEndpoint=http:\/\/[^/]+/, `BlobEndpoint=${fake.origin}`));
});
afterAll(() => fake.stop());
describeBlobCopier('Azurite behind the blob fake', () => throughFake);
