/**
 * A batch scoring job as plain data, and its post-deploy step as a pure function of it
 * (docs/hooks-manifest.md, "Steps of a pipeline": scoring runs after the promotion). The
 * construct (constructs/batch-scoring-job.ts) builds the model from its props
 * (constructs/scoring-model.ts) and registers `scoringSteps(model)`.
 */
import { DEFAULT_RETRY, StatementStepSpec } from '../hooks/manifest';
import { ObjectName } from '../identifiers';
import { ScoringModel, renderBatchScore } from '../sql/scoring';

/** A validated, defaulted batch scoring job. */
export interface ScoringJobModel {
  /** The construct's path: the step id's prefix and the default run group. */
  readonly path: string;
  /** What the scoring SQL needs (lib/sql/scoring.ts). */
  readonly scoring: ScoringModel;
  /** The results table's name in its schema. */
  readonly resultsName: string;
  /** The scheduled task's schedule (the task's `schedule` block), when it runs on one. */
  readonly schedule?: { readonly usingCron?: string; readonly minutes?: number };
  /** The tasks the scheduled task runs after, when it runs after tasks. */
  readonly after: readonly ObjectName[];
  /** Whether a post-deploy step scores after each deploy that trains. */
  readonly scoreAfterDeploy: boolean;
  /** Step ids the post-deploy step waits for. */
  readonly dependsOn: readonly string[];
  /** The run group the step runs in (the pipeline's, so it scores the run that trained). */
  readonly runGroup: string;
  /** The step's time limit. */
  readonly timeoutSeconds: number;
}

/** The job's post-deploy step: none unless it scores after deploy. */
export function scoringSteps(m: ScoringJobModel): StatementStepSpec[] {
  if (!m.scoreAfterDeploy) return [];
  const s = m.scoring;
  return [
    {
      id: `${m.path}/batchScore`,
      kind: 'batchScore',
      description: `score ${s.horizon} steps per partition of ${s.source} with ${s.model}@${s.modelVersionOrAlias} into ${s.results}`,
      dependsOn: [...m.dependsOn],
      runGroup: m.runGroup,
      statements: renderBatchScore(s),
      timeoutSeconds: m.timeoutSeconds,
      retry: DEFAULT_RETRY,
      triggers: {},
      executeOnChange: true,
    },
  ];
}
