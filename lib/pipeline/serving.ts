/**
 * An inference service's post-deploy step as a pure function of its model (docs/serving.md): after
 * the pipeline's promotion, resolve the alias to its version and CALL the deploy procedure with it.
 * The procedure (lib/registry/python/deploy_procedure.py.tmpl) creates that version's service
 * unless it exists, grants the endpoint role, re-points the gateway and retires earlier services,
 * so a re-run, a resumed run or a gated promotion (the alias stays) changes nothing, and a new
 * promotion re-points the service with the new version running before the old one is dropped.
 */
import { DEFAULT_RETRY, DeployServiceStepSpec } from '../hooks/manifest';
import { renderResolveVersion } from '../sql/scoring';
import { InferenceServiceModel, renderDeployCall } from '../sql/serving';

/** The service's step. */
export function servingSteps(m: InferenceServiceModel): DeployServiceStepSpec[] {
  return [
    {
      id: `${m.path}/deployService`,
      kind: 'deployService',
      description: `serve ${m.model}@${m.alias} on ${m.computePool} (${m.ingress.toLowerCase()} ingress, ${m.minInstances}-${m.maxInstances} instances): create the version's service unless it runs, then retire earlier ones`,
      dependsOn: [...m.dependsOn].sort(),
      runGroup: m.runGroup,
      statements: [renderResolveVersion(m.model, m.alias, 'nothing to serve. Promote a version first'), { id: 'deploy', sql: renderDeployCall(m.procedure) }],
      timeoutSeconds: m.timeoutSeconds,
      retry: DEFAULT_RETRY,
      // A new endpoint role is granted by the procedure: re-run it. The other settings are the service block's.
      triggers: { endpointRole: m.endpointRole },
      executeOnChange: true,
      service: {
        name: m.name.toString(),
        model: m.model.toString(),
        alias: m.alias,
        computePool: m.computePool.toString(),
        ingress: m.ingress,
        minInstances: m.minInstances,
        maxInstances: m.maxInstances,
      },
    },
  ];
}
