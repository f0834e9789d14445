/**
 * Collects the post-deploy hook steps of one stack and writes them to `hooks.json` at synth.
 * Constructs add steps through `Hooks.of(this).addStep(...)`; users add their own with
 * `Hooks.of(stack).add(...)` (or `pipeline.addHook(...)`).
 */
import { TerraformStack } from '../engine';
import { Construct, IConstruct } from 'constructs';
import { Duration } from '../duration';
import { ValidationError, validateProp } from '../errors';
import { ObjectName } from '../identifiers';
import {
  DEFAULT_RETRY,
  HookManifest,
  HookStatement,
  HookStepSpec,
  LedgerLocation,
  MonitorSpec,
  RunGroupSpec,
  MANIFEST_FILE_NAME,
  MANIFEST_SCHEMA_VERSION,
  finalizeSteps,
  serializeManifest,
} from './manifest';
import { writeBesideStack } from './synth-writer';

/** Something hook steps can run after: a construct that added steps, or a step id. */
export interface IHookDependable {
  /** The ids of the steps that must succeed first. */
  readonly hookStepIds: readonly string[];
}

/** A user-defined hook step (SQL run after deploy), with CDK-Triggers-like re-run rules. */
export interface CustomHookOptions {
  /** Step id, unique in the stack. */
  readonly id: string;
  /** What the step does, shown in plans. @default - the id */
  readonly description?: string;
  /** SQL statements run in order; `{{RUN_ID}}` is replaced by the pipeline run id when a runGroup is set. */
  readonly statements: readonly string[];
  /** Steps or constructs (with hook steps) this step runs after. @default - none */
  readonly runAfter?: readonly (string | IHookDependable)[];
  /** Values that re-run the step whenever they change. @default - none */
  readonly triggers?: Readonly<Record<string, string>>;
  /** Re-run when the statements change (as CDK Triggers' executeOnHandlerChange). @default true */
  readonly executeOnChange?: boolean;
  /** Time limit of the whole step. @default Duration.minutes(30) */
  readonly timeout?: Duration;
  /** Run group: steps of one group share a run id per deploy. @default - the step id */
  readonly runGroup?: string;
}

const HOOKS_ID = 'ManyModelHooks';

export class Hooks extends Construct {
  /** The stack's hook collector, created on first use. */
  static of(scope: IConstruct): Hooks {
    const stack = TerraformStack.of(scope);
    const existing = stack.node.tryFindChild(HOOKS_ID);
    if (existing instanceof Hooks) return existing;
    return new Hooks(stack, HOOKS_ID);
  }

  private readonly specs: HookStepSpec[] = [];
  private readonly groups = new Map<string, RunGroupSpec>();
  private readonly monitors: MonitorSpec[] = [];
  private ledgerLocation: LedgerLocation | null = null;
  private readonly stack: TerraformStack;

  private constructor(stack: TerraformStack, id: string) {
    super(stack, id);
    this.stack = stack;
    writeBesideStack(this, stack, MANIFEST_FILE_NAME, () => serializeManifest(this.manifest()));
  }

  /** Adds a step built by a construct. */
  addStep(spec: HookStepSpec): void {
    this.specs.push(spec);
  }

  /** Adds a user-defined SQL step and returns its id. */
  add(options: CustomHookOptions): string {
    const path = this.node.path;
    if (!/^[A-Za-z0-9_./-]+$/.test(options.id)) {
      throw new ValidationError(path, 'id', `${JSON.stringify(options.id)} is not a valid hook step id`, 'Use letters, digits, _ . / -');
    }
    if (options.statements.length === 0) {
      throw new ValidationError(path, `hook '${options.id}' statements`, 'is empty', 'Give at least one SQL statement');
    }
    const statements: HookStatement[] = options.statements.map((sql, i) => ({ id: `s${i + 1}`, sql }));
    const timeoutSeconds = validateProp(path, `hook '${options.id}' timeout`, () => (options.timeout ?? Duration.minutes(30)).toSeconds());
    this.addStep({
      id: options.id,
      kind: 'sql',
      description: options.description ?? options.id,
      dependsOn: resolveDependencies(options.runAfter ?? []),
      runGroup: options.runGroup ?? options.id,
      statements,
      timeoutSeconds,
      retry: DEFAULT_RETRY,
      triggers: options.triggers ?? {},
      executeOnChange: options.executeOnChange ?? true,
    });
    return options.id;
  }

  /** Declares how the runner abandons an unfinished run of `runGroup` (statements run in order). */
  setAbandon(runGroup: string, statements: readonly HookStatement[]): void {
    this.groups.set(runGroup, { ...this.groups.get(runGroup), abandon: statements });
  }

  /** Declares the role the steps of `runGroup` run as (RunGroupSpec.runnerRole). */
  setRunnerRole(runGroup: string, role: string): void {
    this.groups.set(runGroup, { abandon: [], ...this.groups.get(runGroup), runnerRole: role });
  }

  /** Records a pipeline monitor's tables and model for `many-model report` (MonitorSpec). */
  addMonitor(spec: MonitorSpec): void {
    this.monitors.push(spec);
  }

  /**
   * Sets where the runner keeps its ledger. The first pipeline of a stack sets it; others in the
   * same stack share it.
   */
  useLedger(table: ObjectName): void {
    if (this.ledgerLocation) return;
    const [database, schema, name] = table.parts;
    this.ledgerLocation = { database, schema, table: name };
  }

  get ledger(): LedgerLocation | null {
    return this.ledgerLocation;
  }

  /** The manifest as it will be written (steps ordered, fingerprints computed). */
  manifest(): HookManifest {
    return {
      schemaVersion: MANIFEST_SCHEMA_VERSION,
      stack: this.stack.node.id,
      ledger: this.specs.length > 0 ? this.ledgerLocation : null,
      steps: finalizeSteps(this.specs),
      ...(this.groups.size > 0 ? { runGroups: Object.fromEntries([...this.groups].sort(([a], [b]) => (a < b ? -1 : 1))) } : {}),
      ...(this.monitors.length > 0 ? { monitors: [...this.monitors].sort((a, b) => (a.path < b.path ? -1 : 1)) } : {}),
    };
  }
}

/** Turns runAfter entries into step ids. */
export function resolveDependencies(runAfter: readonly (string | IHookDependable)[]): string[] {
  const ids = new Set<string>();
  for (const dep of runAfter) {
    if (typeof dep === 'string') ids.add(dep);
    else for (const id of dep.hookStepIds) ids.add(id);
  }
  return [...ids].sort();
}
