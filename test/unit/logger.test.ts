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
