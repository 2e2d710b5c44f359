import { orchestrationTiming } from '../../devhost/orchestrationTiming';

const t = (seconds: number) => new Date(Date.UTC(2026, 10, 22, 8, 0, 0) + seconds * 1000).toISOString();

describe('orchestration timing', () => {
  it('splits wall time into activities, timer waits and overhead', () => {
    const timing = orchestrationTiming(
      [
        { EventType: 'ExecutionStarted', Timestamp: t(0) },
        { EventType: 'TaskCompleted', Timestamp: t(2), ScheduledTime: t(0.5) },
        // two activities in parallel count once
        { EventType: 'TaskCompleted', Timestamp: t(4), ScheduledTime: t(2.5) },
        { EventType: 'TaskCompleted', Timestamp: t(3), ScheduledTime: t(2.5) },
        // a 3 s poll timer
        { EventType: 'TimerFired', Timestamp: t(7.5), FireAt: t(7) },
        { EventType: 'TaskFailed', Timestamp: t(9), ScheduledTime: t(8) },
        { EventType: 'ExecutionCompleted', Timestamp: t(10) },
      ],
      3,
    );
    expect(timing.wallSeconds).toBe(10);
    expect(timing.inActivitiesSeconds).toBeCloseTo(1.5 + 1.5 + 1);
    expect(timing.waitingOnTimersSeconds).toBeCloseTo(3.5);
    expect(timing.overheadSeconds).toBeCloseTo(10 - 4 - 3.5);
    expect(timing.activityCount).toBe(4);
    expect(timing.timerCount).toBe(1);
  });
});
