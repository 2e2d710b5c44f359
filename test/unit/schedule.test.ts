import { parseSchedule, ScheduleError } from '../../shared/domain/schedule';

describe('timer schedules', () => {
  const at = new Date('2026-11-22T10:15:30.500Z');

  it('reads six-field NCRONTAB with seconds', () => {
    expect(parseSchedule('*/5 * * * * *').next(at).toISOString()).toBe('2026-11-22T10:15:35.000Z');
    expect(parseSchedule('0 30 9 * * 1-5').next(at).toISOString()).toBe('2026-11-23T09:30:00.000Z');
  });

  it('reads five-field cron', () => {
    expect(parseSchedule('0 * * * *').next(at).toISOString()).toBe('2026-11-22T11:00:00.000Z');
  });

  it('reads hh:mm:ss intervals', () => {
    expect(parseSchedule('00:00:10').next(at).getTime() - at.getTime()).toBe(10_000);
    expect(parseSchedule('1.00:00:00').next(at).getTime() - at.getTime()).toBe(86_400_000);
  });

  it('honours a time zone', () => {
    expect(parseSchedule('0 0 9 * * *', 'Europe/Paris').next(at).toISOString()).toBe('2026-11-23T08:00:00.000Z');
  });

  it('rejects bad expressions with the expression in the message', () => {
    expect(() => parseSchedule('* * *')).toThrow(ScheduleError);
    expect(() => parseSchedule('99 * * * * *')).toThrow(/"99 \* \* \* \* \*" is not valid/);
    expect(() => parseSchedule('00:00:00')).toThrow(/zero interval/);
  });
});
