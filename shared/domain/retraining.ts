import { parseSchedule } from './schedule';

export interface ScheduledSpec {
  name: string;
  schedule?: string;
}

/**
 * The specs whose retraining schedule had an occurrence in (now − window, now], with that
 * occurrence: the timer that checks every minute starts each of them once per occurrence.
 */
export function dueRetraining(specs: ScheduledSpec[], now: Date, windowMs = 60_000): { name: string; occurrence: Date }[] {
  const since = new Date(now.getTime() - windowMs);
  return specs.flatMap((spec) => {
    if (!spec.schedule) return [];
    const occurrence = parseSchedule(spec.schedule).next(since);
    return occurrence <= now ? [{ name: spec.name, occurrence }] : [];
  });
}
