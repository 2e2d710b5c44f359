import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { restrictToOwner } from '../../devhost/localApp';
import { HostLogger, LogRecord } from '../../devhost/logger';

describe('host logger', () => {
  it('filters by the most specific host.json category and formats function, invocation and level', () => {
    const lines: string[] = [];
    const logger = new HostLogger({ default: 'Warning', Function: 'Information', 'Function.noisy.User': 'Error' }, (line) =>
      lines.push(line),
    );
    const record = (r: Partial<LogRecord>): LogRecord => ({ level: 'information', category: 'Function.quiet.User', message: 'm', ...r });
    logger.log(record({ functionName: 'quiet', invocationId: 'abc', message: 'kept' }));
    logger.log(record({ category: 'Function.noisy.User', message: 'dropped' }));
    logger.log(record({ category: 'Function.noisy.User', level: 'error', message: 'kept too' }));
    logger.log(record({ category: 'Host.General', message: 'dropped by default' }));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\dT[^\]]+\] \[information\] \[quiet\] \[Id=abc\] kept$/);
    expect(lines[1]).toMatch(/\[error\] kept too$/);
  });
});

describe('keys stay out of the devhost log', () => {
  it('writes host keys and key or signature query parameters as [redacted]', () => {
    const lines: string[] = [];
    const records: LogRecord[] = [];
    const logger = new HostLogger({}, (line, record) => {
      lines.push(line);
      records.push(record);
    });
    const masterKey = 'kjr--feLQJEAtiN2GlRXhxq7bUDjgGdgolhzY1Ut8L0';
    logger.hideSecrets(masterKey, 'short');
    logger.host('error', `Unhandled error serving GET /runtime/webhooks/durabletask/instances/x?code=${masterKey}&taskHub=h`);
    logger.host('information', `copied https://acct.blob.core.windows.net/c/b?sv=2024&sig=abc%2Bdef&se=1 and ?CODE=other-key`);
    logger.host('information', `key ${masterKey} in the middle; the word short stays`);
    expect(lines.join('\n')).not.toContain(masterKey);
    expect(lines[0]).toMatch(/\?code=\[redacted\]&taskHub=h$/);
    expect(lines[1]).toMatch(/sig=\[redacted\]&se=1 and \?CODE=\[redacted\]$/);
    expect(lines[2]).toMatch(/key \[redacted\] in the middle; the word short stays$/);
    expect(records.map((r) => r.message).join('\n')).not.toContain(masterKey);
  });

  it('makes a log file handed to the devhost readable by its owner only, even one created world-readable', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'canopy-log-'));
    const file = path.join(dir, 'devhost.log');
    fs.writeFileSync(file, 'earlier run\n', { mode: 0o644 });
    const fd = fs.openSync(file, 'a');
    try {
      restrictToOwner(fd);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      restrictToOwner('inherit');
    } finally {
      fs.closeSync(fd);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
