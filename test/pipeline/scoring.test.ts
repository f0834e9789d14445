import { finalizeSteps } from '../../lib/hooks/manifest';
import { ObjectName } from '../../lib/identifiers';
import { ScoringJobModel, scoringSteps } from '../../lib/pipeline/scoring';

// A scoring job written out by hand: its step is a function of the model alone, no stack involved.
const job = (extra: Partial<ScoringJobModel> = {}): ScoringJobModel => ({
  path: 'app/Demand/Scoring',
  scoring: {
    source: ObjectName.of('DB', 'RAW', 'SALES'),
    partitionColumn: 'SKU',
    covariateInputs: [],
    model: ObjectName.of('DB', 'ML', 'DEMAND_MODEL'),
    modelVersionOrAlias: 'PRODUCTION',
    results: ObjectName.of('DB', 'ML', 'DEMAND_RESULTS'),
    outputColumns: [
      { name: 'PARTITION_KEY', type: 'VARCHAR' },
      { name: 'FORECAST', type: 'FLOAT' },
    ],
    horizon: 28,
  },
  resultsName: 'DEMAND_RESULTS',
  after: [],
  scoreAfterDeploy: true,
  dependsOn: ['app/Demand/promote'],
  runGroup: 'app/Demand',
  timeoutSeconds: 1800,
  ...extra,
});

describe('scoringSteps', () => {
  test("a job that scores after deploy has one batchScore step in the pipeline's run group, after the steps it waits for", () => {
    const [step, ...rest] = scoringSteps(job());
    expect(rest).toEqual([]);
    expect(step).toMatchObject({
      id: 'app/Demand/Scoring/batchScore',
      kind: 'batchScore',
      runGroup: 'app/Demand',
      dependsOn: ['app/Demand/promote'],
      timeoutSeconds: 1800,
      executeOnChange: true,
    });
    expect(step.description).toBe('score 28 steps per partition of DB.RAW.SALES with DB.ML.DEMAND_MODEL@PRODUCTION into DB.ML.DEMAND_RESULTS');
  });

  test("its statements resolve the alias to a version, then replace the run's rows in one transaction", () => {
    const [step] = scoringSteps(job());
    expect(step.statements.map((s) => s.id)).toEqual(['resolve-version', 'begin', 'delete-run', 'insert', 'commit']);
    expect(step.statements[0].capture?.match).toEqual({ value: 'PRODUCTION', arrayColumn: 'aliases' });
    expect(step.statements[2].sql).toBe('DELETE FROM "DB"."ML"."DEMAND_RESULTS" WHERE RUN_ID = \'{{RUN_ID}}\'');
  });

  test('a job that only scores on its schedule has no step', () => {
    expect(scoringSteps(job({ scoreAfterDeploy: false, schedule: { usingCron: '0 6 * * * UTC' } }))).toEqual([]);
  });

  test('the step is a valid manifest step (its fingerprint covers the statements)', () => {
    const a = finalizeSteps(scoringSteps(job({ dependsOn: [] })));
    const b = finalizeSteps(scoringSteps(job({ dependsOn: [], scoring: { ...job().scoring, horizon: 14 } })));
    expect(a[0].fingerprint).not.toBe(b[0].fingerprint);
  });
});
