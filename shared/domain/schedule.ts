import parser from 'cron-parser';
import { CanopyError } from '../errors';

/** A timer schedule that is not NCRONTAB or an interval: permanent. */
export class ScheduleError extends CanopyError {
  constructor(message: string) {
    super('SCHEDULE.INVALID', message, false);
  }
}

export interface Schedule {
  text: string;
  /** The first occurrence strictly after `after`. */
  next(after: Date): Date;
}

const timeSpan = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

/**
 * A timer trigger schedule: NCRONTAB with six fields (seconds first) or five, or a
 * `[d.]hh:mm:ss` interval as App Service plans accept. Times are UTC unless WEBSITE_TIME_ZONE says otherwise.
 */
export function parseSchedule(text: string, timeZone?: string): Schedule {
  const trimmed = text.trim();
  const span = timeSpan.exec(trimmed);
  if (span) {
    const [, d, h, m, s] = span;
    const ms = ((Number(d ?? 0) * 24 + Number(h)) * 3600 + Number(m) * 60 + Number(s)) * 1000;
    if (ms <= 0) throw new ScheduleError(`Timer schedule "${text}" is a zero interval.`);
    return { text, next: (after) => new Date(after.getTime() + ms) };
  }
  const fields = trimmed.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw new ScheduleError(`Timer schedule "${text}" is not an NCRONTAB expression of 5 or 6 fields or an hh:mm:ss interval.`);
  }
  const options = { utc: !timeZone, tz: timeZone };
  try {
    parser.parseExpression(trimmed, options);
  } catch (err) {
    throw new ScheduleError(`Timer schedule "${text}" is not valid: ${(err as Error).message}`);
  }
  return {
    text,
    next(after: Date) {
      return parser
        .parseExpression(trimmed, { ...options, currentDate: after })
        .next()
        .toDate();
    },
  };
}
