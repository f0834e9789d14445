import { InferenceService } from '../../../constructs/inference-service';
import { PolicyRule, RuleResult, RuleSubject } from '../rule';

/** MM-SV1: an inference service with a public endpoint is a choice, made with a reason. */
export const publicInferenceEndpoint: PolicyRule = {
  id: 'MM-SV1',
  level: 'error',
  explanation:
    'This inference service has PUBLIC ingress: its gateway is an endpoint on the internet, and any user with a Snowflake credential (a password, key pair or programmatic access token) whose role holds the endpoint role can call the model from outside Snowflake ("Service networking": https://docs.snowflake.com/en/developer-guide/snowpark-container-services/service-network-communications). ' +
    "Keep ServiceIngress.PRIVATE (service functions and services in the account) unless an external application must call it; if it must, grant the endpoint role only to that application's role, restrict its users with a network policy, and suppress MM-SV1 on the service with a reason naming the callers. " +
    'Creating the endpoint needs BIND SERVICE ENDPOINT, which Snowflake grants to PUBLIC since the unbundled change 2321 unless an administrator revoked it (https://docs.snowflake.com/en/release-notes/bcr-bundles/un-bundled/bcr-2321).',
  evaluate: (s: RuleSubject) => {
    if (!(s.construct instanceof InferenceService)) return RuleResult.NOT_APPLICABLE;
    return s.construct.model.ingress === 'PUBLIC' ? RuleResult.NON_COMPLIANT : RuleResult.COMPLIANT;
  },
};
