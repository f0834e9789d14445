import { Construct } from 'constructs';
import { Duration } from '../lib/duration';
import { ValidationError, validateProp } from '../lib/errors';
import { resolveDependencies } from '../lib/hooks/hooks';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { ScoringJobModel } from '../lib/pipeline/scoring';
import { RESULT_META_COLUMNS } from '../lib/sql/scoring';
import type { BatchScoringJobProps } from './batch-scoring-job';
import { nameFromPath } from './names';

/** Snowflake's task graphs and our step time limits keep horizons to a year of daily steps. */
export const MAX_HORIZON = 366;

/**
 * The scoring job `job`'s model from its props: every prop checked (errors name the job's path and
 * the prop), every default applied, every name derived. The job creates its table and task from it
 * and registers `scoringSteps(model)`.
 */
export function scoringModel(job: Construct, props: BatchScoringJobProps): ScoringJobModel {
  const path = job.node.path;
  const horizon = props.horizon;
  if (!Number.isInteger(horizon) || horizon <= 0 || horizon > MAX_HORIZON) {
    throw new ValidationError(
      path,
      'horizon',
      `is ${horizon}; it must be a whole number of steps from 1 to ${MAX_HORIZON}`,
      'Give e.g. 28 for four weeks of daily forecasts',
    );
  }
  if (props.schedule && props.after && props.after.length > 0) {
    throw new ValidationError(
      path,
      'schedule',
      'and after are both set; a Snowflake task runs either on a schedule or after other tasks, not both',
      'Keep one of them',
    );
  }
  const after = (props.after ?? []).map((a, i) => validateProp(path, `after[${i}]`, () => ObjectName.parse(a, 3)));
  const schedule = props.schedule && validateProp(path, 'schedule', () => props.schedule!.toTaskSchedule());
  const timeoutSeconds = validateProp(path, 'timeout', () => (props.timeout ?? Duration.hours(1)).toSeconds());
  const resultsName = validateProp(path, 'resultsTableName', () => normalizeIdentifier(props.resultsTableName ?? nameFromPath(job, 'RESULTS'), 'table name'));
  const modelVersionOrAlias = validateProp(path, 'modelVersionOrAlias', () =>
    normalizeIdentifier(props.modelVersionOrAlias ?? props.aggregator.alias, 'version or alias'),
  );
  return {
    path,
    scoring: {
      source: props.source.qualifiedName,
      partitionColumn: props.source.partitionColumn,
      covariateInputs: covariateInputs(path, props),
      model: props.aggregator.modelName,
      modelVersionOrAlias,
      results: props.schema.qualifiedName.child(resultsName),
      outputColumns: checkedOutputColumns(path, props),
      horizon,
    },
    resultsName,
    schedule,
    after,
    scoreAfterDeploy: props.scoreAfterDeploy ?? true,
    dependsOn: resolveDependencies(props.runAfter ?? []),
    runGroup: props.runGroup ?? path,
    timeoutSeconds,
  };
}

/** Schema contract: every model input besides the key and the step must come from the source. */
function covariateInputs(path: string, props: BatchScoringJobProps): string[] {
  const covariates = new Set(props.source.covariateColumns);
  const inputs: string[] = [];
  for (const c of props.aggregator.inputColumns) {
    if (c.name === 'PARTITION_KEY' || c.name === 'STEP') continue;
    if (!covariates.has(c.name)) {
      throw new ValidationError(
        path,
        'aggregator.inputColumns',
        `require ${c.name}, which source ${props.source.qualifiedName} does not provide`,
        `Add '${c.name}' to the source's covariateColumns or remove it from the model's inputColumns`,
      );
    }
    inputs.push(c.name);
  }
  return inputs;
}

/** The model's outputs, none of which may take a bookkeeping column's name. */
function checkedOutputColumns(path: string, props: BatchScoringJobProps): BatchScoringJobProps['aggregator']['outputColumns'] {
  const clash = props.aggregator.outputColumns.find((c) => RESULT_META_COLUMNS.some((m) => m.name === c.name));
  if (clash) {
    throw new ValidationError(
      path,
      'aggregator.outputColumns',
      `include ${clash.name}, which the results table reserves for bookkeeping`,
      'Rename that output column',
    );
  }
  return props.aggregator.outputColumns;
}
