/** One event of an instance's history as the Durable management API shows it (`showHistory=true`). */
export interface ShownHistoryEvent {
  EventType: string;
  Timestamp: string;
  FunctionName?: string;
  ScheduledTime?: string;
  FireAt?: string;
  /** The child's instance id, on a sub-orchestration's events. */
  InstanceId?: string;
}

export interface OrchestrationTiming {
  wallSeconds: number;
  /** Time during which at least one activity was scheduled or running. */
  inActivitiesSeconds: number;
  /** Time spent only waiting on durable timers (polling intervals), no activity in flight. */
  waitingOnTimersSeconds: number;
  /** The rest: the engine's own time (dispatch, replay, checkpoints) between steps. */
  overheadSeconds: number;
  activityCount: number;
  timerCount: number;
}

type Interval = [number, number];

function union(intervals: Interval[]): Interval[] {
  const sorted = intervals.filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

const length = (intervals: Interval[]): number => intervals.reduce((sum, [a, b]) => sum + (b - a), 0);

function minus(intervals: Interval[], cut: Interval[]): Interval[] {
  let rest = intervals;
  for (const [c0, c1] of cut) {
    rest = rest.flatMap(([a, b]): Interval[] => {
      if (c1 <= a || c0 >= b) return [[a, b]];
      return [...(a < c0 ? [[a, c0] as Interval] : []), ...(c1 < b ? [[c1, b] as Interval] : [])];
    });
  }
  return rest;
}

/** The child orchestrations an instance ran, by instance id, from its history. */
export function childInstanceIds(history: ShownHistoryEvent[]): string[] {
  const ended = history.filter(
    (e) => e.EventType === 'SubOrchestrationInstanceCompleted' || e.EventType === 'SubOrchestrationInstanceFailed',
  );
  return [...new Set(ended.map((e) => e.InstanceId).filter((id): id is string => !!id))];
}

/**
 * Splits an orchestration's wall time into time in activities, time waiting on timers and the
 * engine's overhead, from its history and those of the children it waited on (their activities
 * and timers are the run's too). A timer is taken to start `pollSeconds` before it fires.
 */
export function orchestrationTiming(
  parentHistory: ShownHistoryEvent[],
  pollSeconds: number,
  childHistories: ShownHistoryEvent[][] = [],
): OrchestrationTiming {
  const history = [...parentHistory, ...childHistories.flat()];
  const ms = (iso: string | undefined): number => (iso ? Date.parse(iso) : Number.NaN);
  const start = ms(parentHistory.find((e) => e.EventType === 'ExecutionStarted')?.Timestamp);
  const end = ms(
    parentHistory.find(
      (e) => e.EventType === 'ExecutionCompleted' || e.EventType === 'ExecutionTerminated' || e.EventType === 'ExecutionFailed',
    )?.Timestamp,
  );
  const activities = history.filter((e) => (e.EventType === 'TaskCompleted' || e.EventType === 'TaskFailed') && e.ScheduledTime);
  const timers = history.filter((e) => e.EventType === 'TimerFired' && e.FireAt);
  const activityIntervals = union(activities.map((e): Interval => [ms(e.ScheduledTime), ms(e.Timestamp)]));
  const timerIntervals = union(timers.map((e): Interval => [Math.max(start, ms(e.FireAt) - pollSeconds * 1000), ms(e.Timestamp)]));
  const timerOnly = minus(timerIntervals, activityIntervals);
  const wall = end - start;
  const inActivities = length(activityIntervals);
  const waiting = length(timerOnly);
  return {
    wallSeconds: wall / 1000,
    inActivitiesSeconds: inActivities / 1000,
    waitingOnTimersSeconds: waiting / 1000,
    overheadSeconds: Math.max(0, wall - inActivities - waiting) / 1000,
    activityCount: activities.length,
    timerCount: timers.length,
  };
}
