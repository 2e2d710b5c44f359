import fs from 'node:fs';
import path from 'node:path';

// The Cosmos DB emulator package ships a self-signed certificate for localhost; the Azure fakes reuse it (test only).
const packageDir = path.dirname(require.resolve('@zeit/cosmosdb-server/package.json'));

/** Certificate and key for the fakes' HTTPS servers on loopback: Azure SDKs send bearer tokens over TLS only. */
export function loopbackTls(): { cert: Buffer; key: Buffer } {
  return { cert: fs.readFileSync(path.join(packageDir, 'cert.pem')), key: fs.readFileSync(path.join(packageDir, 'key.pem')) };
}
