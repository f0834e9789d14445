/**
 * A synthesized stack set up on the local server as a real account would be (docs/roles.md):
 * what the stack references already exists (the source table, the image repository, imported
 * roles: created here as SYSADMIN, standing in for the teams that own them), an administrator ran
 * `many-model bootstrap` (ACCOUNTADMIN), and `terraform apply` ran as the deploy role. The local
 * server enforces the access control (docs/local-server.md), so a grant the stack lacks fails here
 * as it would on Snowflake.
 */
import { BootstrapStatement, SYSTEM_ROLES, TerraformJson, bootstrapStatements } from '../bootstrap/bootstrap';
import { runBootstrap } from '../bootstrap/run';
import { imagesInSpecs, repositoryPartsOfImage } from '../../lib/images';
import { LocalApplyPlan, planLocalApply, providerRole } from '../../local-server/local-apply';
import { SnowflakeSession } from '../snowflake/session';
import { renderCreateDatabase, renderCreateImageRepository, renderCreateRole, renderCreateSchema, renderGrantRoleToUser } from '../../lib/sql/account';
import { renderUseSystemRole } from '../../lib/sql/session';

export interface ProvisionOptions {
  /** The user who deploys and runs the hooks (granted every role the stack creates, as a CI user would be). */
  readonly user: string;
  /** Opens a session of `user` with `role`. */
  readonly openAs: (role: string) => Promise<SnowflakeSession>;
  /** The bootstrap statements to run. @default - bootstrapStatements(tf) granting the deploy role to `user` */
  readonly bootstrap?: readonly BootstrapStatement[];
}

export interface Provisioned {
  readonly deployRole: string;
  readonly plan: LocalApplyPlan;
  readonly bootstrapStatements: number;
}

/**
 * Runs, with `admin` (an ACCOUNTADMIN session): the referenced objects that must exist, the
 * bootstrap statements, then the local apply in a session of the deploy role; finally grants the
 * roles the stack created to `opts.user`.
 */
export async function provisionLocally(admin: SnowflakeSession, tf: TerraformJson, opts: ProvisionOptions): Promise<Provisioned> {
  const deployRole = providerRole(tf as never);
  if (!deployRole) throw new Error("the stack's snowflake provider sets no role (the deploy role)");
  const bootstrap = opts.bootstrap ?? bootstrapStatements(tf, { users: [opts.user] });
  await createReferencedObjects(admin, tf);
  await runBootstrap(admin, bootstrap);
  const plan = await applyAsDeployRole(tf, opts.openAs);
  await admin.query(renderUseSystemRole('ACCOUNTADMIN'));
  for (const role of createdRoles(tf)) await admin.query(renderGrantRoleToUser(role, opts.user.toUpperCase()));
  return { deployRole, plan, bootstrapStatements: bootstrap.length };
}

/**
 * The local stand-in for `terraform apply` (local-server/local-apply.ts), in a session of the
 * provider's role: what it creates, it owns. A failed statement is named with the role.
 */
export async function applyAsDeployRole(tf: TerraformJson, openAs: (role: string) => Promise<SnowflakeSession>): Promise<LocalApplyPlan> {
  const deployRole = providerRole(tf as never);
  if (!deployRole) throw new Error("the stack's snowflake provider sets no role (the deploy role)");
  const deployer = await openAs(deployRole);
  try {
    const plan = planLocalApply(tf as never);
    for (const sql of plan.statements) {
      try {
        await deployer.query(sql);
      } catch (e) {
        throw new Error(`local apply as ${deployRole} failed: ${sql.split('\n')[0]}: ${(e as Error).message}`);
      }
    }
    return plan;
  } finally {
    await deployer.close();
  }
}

/** Roles the stack creates. */
function createdRoles(tf: TerraformJson): string[] {
  return Object.values(tf.resource?.snowflake_account_role ?? {}).map((r) => String(r.name).toUpperCase());
}

/**
 * What the stack references and an account would already hold: roles it grants to or under, and
 * the image repositories its tasks' jobs run from.
 */
async function createReferencedObjects(admin: SnowflakeSession, tf: TerraformJson): Promise<void> {
  const created = new Set(createdRoles(tf));
  const roles = new Set<string>();
  for (const g of Object.values(tf.resource?.snowflake_grant_privileges_to_account_role ?? {})) roles.add(String(g.account_role_name).toUpperCase());
  for (const g of Object.values(tf.resource?.snowflake_grant_account_role ?? {})) roles.add(String(g.parent_role_name).toUpperCase());
  await admin.query(renderUseSystemRole('USERADMIN'));
  for (const role of roles) if (!created.has(role) && !SYSTEM_ROLES.has(role)) await admin.query(renderCreateRole(role));
  await admin.query(renderUseSystemRole('SYSADMIN'));
  // Repositories the tasks' jobs pull from, and those the stack grants READ on (the queue workers').
  const createdRepos = new Set(Object.values(tf.resource?.snowflake_image_repository ?? {}).map((r) => `${r.database}.${r.schema}.${r.name}`.toUpperCase()));
  const repos = new Set<string>();
  for (const image of imagesInSpecs(Object.values(tf.resource?.snowflake_task ?? {}).map((t) => String(t.sql_statement ?? '')))) {
    const parts = repositoryPartsOfImage(image);
    if (parts) repos.add(parts.join('.'));
  }
  for (const g of Object.values(tf.resource?.snowflake_grant_privileges_to_account_role ?? {})) {
    if (String(g.on_schema_object?.object_type).toUpperCase() === 'IMAGE REPOSITORY')
      repos.add(String(g.on_schema_object.object_name).replace(/"/g, '').toUpperCase());
  }
  for (const name of repos) {
    if (createdRepos.has(name)) continue;
    const [db, schema] = name.split('.');
    await admin.query(renderCreateDatabase(db));
    await admin.query(renderCreateSchema(`${db}.${schema}`));
    await admin.query(renderCreateImageRepository(name));
  }
  await admin.query(renderUseSystemRole('ACCOUNTADMIN'));
}
