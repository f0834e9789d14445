/**
 * The packages of the registration procedure, as data with the rule they must satisfy.
 *
 * The procedure runs `snowflake-ml-python` on the Snowpark runtime the provider installs
 * (`snowparkPackage`). snowflake-ml-python declares which Snowpark versions it runs with in its
 * conda recipe, and the aggregator's `@custom_model.partitioned_api` exists from 1.8.4 on, so the
 * pair is pinned here and tested against the recipe's requirement (test/registry/packages.test.ts).
 */
import { InvalidValueError } from '../errors';

export const ML_PYTHON = 'snowflake-ml-python';
export const SNOWPARK = 'snowflake-snowpark-python';

/** What a snowflake-ml-python release requires, copied from its conda recipe at the release's tag. */
export interface MlPythonRequirements {
  readonly mlPython: string;
  /** Its `snowflake-snowpark-python` run requirement. */
  readonly snowpark: string;
  /** Its `python` run requirement. */
  readonly python: string;
  /** Where it was read: repository, tag and path. */
  readonly source: string;
}

/**
 * From `ci/conda_recipe/meta.yaml` of snowflakedb/snowflake-ml-python at each tag (run
 * requirements). 1.7.4 is the first release that excludes Snowpark 1.26.0; 1.8.4 is the release
 * pinned below.
 */
export const ML_PYTHON_REQUIREMENTS: readonly MlPythonRequirements[] = [
  { mlPython: '1.7.4', snowpark: '>=1.17.0,<2,!=1.26.0', python: '', source: 'snowflakedb/snowflake-ml-python@1.7.4:ci/conda_recipe/meta.yaml' },
  { mlPython: '1.8.4', snowpark: '>=1.17.0,<2,!=1.26.0', python: '>=3.9,<3.13', source: 'snowflakedb/snowflake-ml-python@1.8.4:ci/conda_recipe/meta.yaml' },
  { mlPython: '1.25.0', snowpark: '>=1.17.0,<2,!=1.26.0', python: '>=3.9,<3.14', source: 'snowflakedb/snowflake-ml-python@1.25.0:ci/conda_recipe/meta.yaml' },
];

/**
 * The first snowflake-ml-python with `custom_model.partitioned_api`, which the built-in aggregator
 * uses ("Registry: Add `custom_model.partitioned_api` decorator", CHANGELOG.md at tag 1.8.4).
 */
export const MIN_ML_PYTHON = '1.8.4';

/** The pair the registration procedure runs with. */
export const PROCEDURE_PACKAGES = { mlPython: '1.8.4', snowpark: '1.25.0' } as const;

/**
 * The first snowflake-ml-python whose `ModelVersion.create_service` takes `min_instances` ("Model
 * serving: Introduced the `min_instances` field", CHANGELOG.md at tag 1.25.0); real-time inference
 * is "generally available since snowflake-ml-python version 1.25.0"
 * (https://docs.snowflake.com/en/developer-guide/snowflake-ml/inference/real-time-inference-rest-api).
 */
export const MIN_SERVING_ML_PYTHON = '1.25.0';

/** The pair the inference service's deploy procedure runs with (its recipe allows Snowpark 1.25.0). */
export const DEPLOY_PROCEDURE_PACKAGES = { mlPython: '1.25.0', snowpark: '1.25.0' } as const;

/** The recipe's requirements of the pinned snowflake-ml-python. */
export function pinnedRequirements(): MlPythonRequirements {
  const r = ML_PYTHON_REQUIREMENTS.find((x) => x.mlPython === PROCEDURE_PACKAGES.mlPython);
  if (!r) throw new Error(`no recorded requirements for ${ML_PYTHON} ${PROCEDURE_PACKAGES.mlPython}`);
  return r;
}

function parse(v: string): number[] {
  return v.split('.').map((p) => Number(/^\d+/.exec(p)?.[0] ?? NaN));
}

function compare(a: string, b: string): number {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/** Whether `version` satisfies a comma-separated conda/pip requirement such as `>=1.17.0,<2,!=1.26.0`. */
export function satisfies(version: string, requirement: string): boolean {
  return requirement
    .split(',')
    .map((c) => c.trim())
    .filter((c) => c.length > 0)
    .every((c) => {
      const m = /^(==|!=|>=|<=|>|<)\s*([0-9][0-9A-Za-z.]*)$/.exec(c);
      if (!m) throw new Error(`unsupported requirement ${JSON.stringify(c)}`);
      const d = compare(version, m[2]);
      return { '==': d === 0, '!=': d !== 0, '>=': d >= 0, '<=': d <= 0, '>': d > 0, '<': d < 0 }[m[1] as '==']!;
    });
}

/**
 * Refuses package specifications (`condaDependencies`, `pipRequirements`) that pin snowflake-ml-python
 * or snowflake-snowpark-python against the rule: snowflake-ml-python below MIN_ML_PYTHON (no
 * partitioned_api), or a Snowpark version the pinned snowflake-ml-python's recipe excludes.
 * Only `==`, `<` and `<=` constraints are checked; others leave the choice to the resolver.
 */
export function checkPackagePins(specs: readonly string[]): void {
  const req = pinnedRequirements();
  for (const spec of specs) {
    const m = /^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?(==|<=|<|>=|>|~=)?(.*)$/.exec(spec.trim());
    if (!m?.[2]) continue;
    const name = m[1].toLowerCase().replace(/_/g, '-');
    const [op, version] = [m[2], m[3]];
    if (name === ML_PYTHON) {
      const excludesMin =
        (op === '==' && compare(version, MIN_ML_PYTHON) < 0) ||
        (op === '<' && compare(version, MIN_ML_PYTHON) <= 0) ||
        (op === '<=' && compare(version, MIN_ML_PYTHON) < 0);
      if (excludesMin) {
        throw new InvalidValueError(
          `${JSON.stringify(spec)} allows only ${ML_PYTHON} older than ${MIN_ML_PYTHON}, which has no custom_model.partitioned_api (the aggregator's predict); the registration procedure runs ${ML_PYTHON}==${PROCEDURE_PACKAGES.mlPython}`,
          `Remove the pin, or pin ${ML_PYTHON}>=${MIN_ML_PYTHON}`,
        );
      }
    }
    if (name === SNOWPARK && op === '==' && !satisfies(version, req.snowpark)) {
      throw new InvalidValueError(
        `${JSON.stringify(spec)} conflicts with ${ML_PYTHON} ${req.mlPython}, which requires ${SNOWPARK} ${req.snowpark} (${req.source})`,
        `Remove the pin, or pin a version that satisfies ${req.snowpark}, e.g. ${SNOWPARK}==${PROCEDURE_PACKAGES.snowpark}`,
      );
    }
  }
}
