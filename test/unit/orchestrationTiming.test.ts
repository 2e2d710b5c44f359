import { childInstanceIds, orchestrationTiming } from '../../devhost/orchestrationTiming';

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

  it("counts the activities and timers of the children the run waited on, within the parent's wall time", () => {
    const parent = [
      { EventType: 'ExecutionStarted', Timestamp: t(0) },
      { EventType: 'TaskCompleted', Timestamp: t(1), ScheduledTime: t(0) },
      { EventType: 'SubOrchestrationInstanceCompleted', Timestamp: t(9), InstanceId: 'run:trainCandidates' },
      { EventType: 'ExecutionCompleted', Timestamp: t(10) },
    ];
    const child = [
      { EventType: 'ExecutionStarted', Timestamp: t(1.2) },
      { EventType: 'TaskCompleted', Timestamp: t(3), ScheduledTime: t(1.5) },
      { EventType: 'TimerFired', Timestamp: t(6), FireAt: t(6) },
      { EventType: 'TaskCompleted', Timestamp: t(8.5), ScheduledTime: t(6.5) },
      { EventType: 'ExecutionCompleted', Timestamp: t(8.8) },
    ];
    expect(childInstanceIds(parent)).toEqual(['run:trainCandidates']);
    const timing = orchestrationTiming(parent, 3, [child]);
    expect(timing.wallSeconds).toBe(10);
    expect(timing.inActivitiesSeconds).toBeCloseTo(1 + 1.5 + 2);
    expect(timing.waitingOnTimersSeconds).toBeCloseTo(3);
    expect(timing.overheadSeconds).toBeCloseTo(10 - 4.5 - 3);
    expect(timing.activityCount).toBe(3);
    expect(timing.timerCount).toBe(1);
  });
});
