import { TerraformResource } from '../lib/engine';
import { ImageRepositoryResource } from './resources';
import { repositoryPartsOfImage } from '../lib/images';
import { Construct, IConstruct } from 'constructs';
import { InvalidValueError, validateProp } from '../lib/errors';
import { ObjectName, normalizeIdentifier } from '../lib/identifiers';
import { GrantTarget, IRole, ISchema, Schema, SnowflakeObject, grantUsageOnParents } from './core';
import { Grant } from './grants';
import { dependOn } from './depends';
import { claimName } from './object-names';
import { nameFromPath } from './names';

/** An SPCS image repository that job services pull their images from, owned or imported. */
export interface IImageRepository extends IConstruct {
  /** `"DB"."SCHEMA"."REPOSITORY"`. */
  readonly qualifiedName: ObjectName;
  /** Grants privileges on the repository to `role`. */
  grant(role: IRole, ...privileges: string[]): Grant;
  /**
   * Grants READ on the repository and USAGE on its database and schema: what a role needs to run
   * a service or job from one of its images. Returns what it granted.
   */
  grantRead(role: IRole): Grant;
}

abstract class ImageRepositoryBase extends SnowflakeObject implements IImageRepository {
  readonly objectType = 'IMAGE REPOSITORY';
  protected readonly grantTarget = GrantTarget.SCHEMA_OBJECT;
  abstract readonly qualifiedName: ObjectName;

  grantRead(role: IRole): Grant {
    // EXECUTE JOB SERVICE needs READ on the repository of the specification's images, and USAGE on
    // its database and schema (access control of
    // https://docs.snowflake.com/en/sql-reference/sql/execute-job-service).
    return Grant.combine(this.grantParentUsage(role), this.grant(role, 'READ'));
  }

  protected grantParentUsage(role: IRole): Grant {
    return grantUsageOnParents(this, role, this.qualifiedName);
  }
}

export interface ImageRepositoryProps {
  /** Schema holding the repository. */
  readonly schema: ISchema;
  /** Repository name (an unquoted identifier: Snowflake refuses quoted repository names). @default - derived from the construct path */
  readonly name?: string;
  /** Comment. @default - none */
  readonly comment?: string;
}

/**
 * A Snowpark Container Services image repository (`snowflake_image_repository`), where the worker
 * images are pushed: `/<db>/<schema>/<repository>/<image>:<tag>`.
 */
export class ImageRepository extends ImageRepositoryBase {
  /** Imports an existing repository: `DATABASE.SCHEMA.REPOSITORY`. */
  static fromName(scope: Construct, id: string, qualifiedName: string): IImageRepository {
    const name = validateProp(`${scope.node.path}/${id}`, 'qualifiedName', () => ObjectName.parse(qualifiedName, 3));
    return new (class extends ImageRepositoryBase {
      readonly qualifiedName = name;
    })(scope, id);
  }

  /**
   * The repository an SPCS image path names: `/analytics/ml/images/worker:1.4.0` is in
   * `ANALYTICS.ML.IMAGES` (unquoted identifiers, so upper case) — "Working with an image registry
   * and repository", https://docs.snowflake.com/en/developer-guide/snowpark-container-services/working-with-registry-repository
   */
  static repositoryOfImage(image: string): ObjectName {
    const parts = repositoryPartsOfImage(image);
    if (!parts) {
      throw new InvalidValueError(
        `image ${JSON.stringify(image)} is not a path /<db>/<schema>/<repository>/<image>`,
        "Use e.g. '/analytics/ml/images/forecast-worker:1.4.0'",
      );
    }
    try {
      return ObjectName.of(...parts);
    } catch (e) {
      throw new InvalidValueError(
        `image ${JSON.stringify(image)} names repository ${image.split('/').slice(1, 4).join('.')}, which is not a valid unquoted identifier: ${(e as Error).message}`,
        'Push the image to a repository with a plain name (letters, digits, _ and $)',
      );
    }
  }

  readonly qualifiedName: ObjectName;
  readonly resource: ImageRepositoryResource;
  private readonly schema: ISchema;

  protected primaryResource(): TerraformResource {
    return this.resource;
  }

  constructor(scope: Construct, id: string, props: ImageRepositoryProps) {
    super(scope, id);
    this.schema = props.schema;
    const name = validateProp(this.node.path, 'name', () => normalizeIdentifier(props.name ?? nameFromPath(this), 'image repository name'));
    this.qualifiedName = props.schema.qualifiedName.child(name);
    claimName(this, 'name', 'IMAGE REPOSITORY', this.qualifiedName);
    this.resource = new ImageRepositoryResource(this, 'Resource', {
      database: props.schema.databaseName,
      schema: props.schema.schemaName,
      name,
      comment: props.comment,
    });
    if (props.schema instanceof Schema) dependOn(this.resource, props.schema.resource);
  }

  /** The schema's USAGE through the schema construct, so an owned schema is created first. */
  protected grantParentUsage(role: IRole): Grant {
    return Grant.combine(grantUsageOnParents(this, role, this.qualifiedName), this.schema.grant(role, 'USAGE'));
  }
}
