import { dueRetraining } from '../../shared/domain/retraining';

describe('scheduled retraining', () => {
  const specs = [{ name: 'nightly', schedule: '0 0 3 * * *' }, { name: 'hourly', schedule: '0 0 * * * *' }, { name: 'manual' }];

  it('starts each spec whose schedule had an occurrence in the last minute, once per occurrence', () => {
    expect(dueRetraining(specs, new Date('2026-11-22T03:00:30Z'))).toEqual([
      { name: 'nightly', occurrence: new Date('2026-11-22T03:00:00Z') },
      { name: 'hourly', occurrence: new Date('2026-11-22T03:00:00Z') },
    ]);
    expect(dueRetraining(specs, new Date('2026-11-22T04:00:00Z'))).toEqual([
      { name: 'hourly', occurrence: new Date('2026-11-22T04:00:00Z') },
    ]);
    expect(dueRetraining(specs, new Date('2026-11-22T04:01:00.001Z'))).toEqual([]);
    expect(dueRetraining(specs, new Date('2026-11-22T04:00:59Z'))).toHaveLength(1);
  });
});
