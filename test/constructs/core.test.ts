import { Duration, Warehouse } from '../../index';
import { errorOf } from './helpers';

describe('Warehouse', () => {
  test.each([
    ['below a minute', Duration.seconds(30), 'test/Wh: autoSuspend is 30s; below 60 s a warehouse bills a full minute on every resume anyway'],
    ['not a duration', Duration.minutes(-1), 'test/Wh: autoSuspend Duration.minutes(-1) is not a finite, non-negative duration'],
  ])('rejects an autoSuspend %s, naming the warehouse path', (_what, autoSuspend, message) => {
    expect(errorOf((s) => new Warehouse(s, 'Wh', { autoSuspend }))).toContain(message);
  });
});
