import 'cdktf/lib/testing/adapters/jest';
import { ModelRegistryAggregator, Schema } from '../../index';
import { MIN_ML_PYTHON, ML_PYTHON_REQUIREMENTS, PROCEDURE_PACKAGES, checkPackagePins, pinnedRequirements, satisfies } from '../../lib/registry/packages';
import { errorOf, newStack, resources, synthJson } from '../constructs/helpers';

describe('the registration procedure packages', () => {
  test('the pinned Snowpark satisfies the pinned snowflake-ml-python recipe requirement; 1.26.0 would not', () => {
    const req = pinnedRequirements();
    expect(req).toEqual({
      mlPython: '1.8.4',
      snowpark: '>=1.17.0,<2,!=1.26.0',
      python: '>=3.9,<3.13',
      source: 'snowflakedb/snowflake-ml-python@1.8.4:ci/conda_recipe/meta.yaml',
    });
    expect(satisfies(PROCEDURE_PACKAGES.snowpark, req.snowpark)).toBe(true);
    expect(satisfies('1.26.0', req.snowpark)).toBe(false);
    expect(satisfies('1.16.0', req.snowpark)).toBe(false);
    expect(satisfies('2.0.0', req.snowpark)).toBe(false);
    // Every release recorded from 1.7.4 on excludes 1.26.0.
    for (const r of ML_PYTHON_REQUIREMENTS) expect(satisfies('1.26.0', r.snowpark)).toBe(false);
  });

  test('the pinned snowflake-ml-python has custom_model.partitioned_api (1.8.4 or later) and runs the default Python 3.11', () => {
    expect(satisfies(PROCEDURE_PACKAGES.mlPython, `>=${MIN_ML_PYTHON}`)).toBe(true);
    expect(satisfies('3.11', pinnedRequirements().python)).toBe(true);
  });

  test('the procedure is synthesized with the pinned pair', () => {
    const stack = newStack();
    new ModelRegistryAggregator(stack, 'Agg', { schema: Schema.fromName(stack, 'S', 'ML.FC'), metricsTableName: 'ML.FC.METRICS' });
    const proc = Object.values(resources(synthJson(stack), 'snowflake_procedure_python'))[0] as { snowpark_package: string; packages: string[] };
    expect(proc.snowpark_package).toBe('1.25.0');
    expect(proc.packages).toEqual(['snowflake-ml-python==1.8.4']);
  });

  test.each([
    [
      'snowflake-snowpark-python==1.26.0',
      /condaDependencies "snowflake-snowpark-python==1.26.0" conflicts with snowflake-ml-python 1.8.4, which requires snowflake-snowpark-python >=1.17.0,<2,!=1.26.0 .*Remove the pin, or pin a version that satisfies/,
    ],
    [
      'snowflake-ml-python==1.7.4',
      /condaDependencies "snowflake-ml-python==1.7.4" allows only snowflake-ml-python older than 1.8.4, which has no custom_model.partitioned_api/,
    ],
    ['snowflake-ml-python<1.8.4', /allows only snowflake-ml-python older than 1.8.4/],
  ])('refuses at synth a condaDependencies pin against the rule: %s', (spec, message) => {
    const error = errorOf(
      (s) =>
        new ModelRegistryAggregator(s, 'Agg', {
          schema: Schema.fromName(s, 'S', 'ML.FC'),
          metricsTableName: 'ML.FC.METRICS',
          condaDependencies: ['pandas', spec],
        }),
    );
    expect(error).toMatch(/^test\/Agg: /);
    expect(error).toMatch(message);
  });

  test('accepts pins within the rule and leaves other packages alone', () => {
    expect(() =>
      checkPackagePins([
        'snowflake-snowpark-python==1.25.0',
        'snowflake-ml-python==1.9.0',
        'snowflake-ml-python>=1.8.4',
        'pandas==2.2.3',
        'snowflake-ml-python',
      ]),
    ).not.toThrow();
  });
});
