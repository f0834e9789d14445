import { InvalidValueError } from '../lib/errors';
import { ObjectName } from '../lib/identifiers';
import { IImageRepository, ImageRepository } from './image-repository';

/** Options of a training container. */
export interface TrainerOptions {
  /** Override of the image's entrypoint. @default - the image's own */
  readonly command?: string[];
  /** Arguments. @default - none */
  readonly args?: string[];
  /** Extra environment (no secrets: use Snowflake secrets for those). Names starting with MM_ are reserved. @default - none */
  readonly environment?: Record<string, string>;
  /** File extension of the per-partition artifacts the worker writes (`json`, `rds`, `pkl`). @default 'json' */
  readonly artifactExtension?: string;
  /** vCPUs requested per worker container. @default - the whole node */
  readonly cpu?: number;
  /** Memory requested per worker container, e.g. `4Gi`. @default - Snowflake's default */
  readonly memory?: string;
  /**
   * The repository holding the image, when you own it in this stack (`new ImageRepository(...)`)
   * or imported it already; it must be the repository the image path names.
   * @default - imported from the image path (`/analytics/ml/images/...` → `ANALYTICS.ML.IMAGES`)
   */
  readonly repository?: IImageRepository;
}

/**
 * Image path in an SPCS image repository: `/<db>/<schema>/<repo>/<image>:<tag>` or `@sha256:<digest>`
 * ("Working with an image registry and repository").
 */
const IMAGE_PATH =
  /^\/[A-Za-z_][A-Za-z0-9_$]*\/[A-Za-z_][A-Za-z0-9_$]*\/[A-Za-z_][A-Za-z0-9_$-]*\/[a-z0-9][a-z0-9._/-]*(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[a-f0-9]{64})$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_LIKE = /PASSWORD|SECRET|TOKEN|PRIVATE_KEY|CREDENTIAL/i;

/** The training container that fits one model per partition (any language implementing the worker contract). */
export class Trainer {
  /** A worker image implementing docs/worker-contract.md. */
  static fromImage(image: string, options: TrainerOptions = {}): Trainer {
    return new Trainer(image, options);
  }

  private constructor(
    /** The image path. */
    public readonly image: string,
    /** Its options. */
    public readonly options: TrainerOptions,
  ) {}

  /** Version part of the image (tag or digest): a change re-runs training. */
  get imageVersion(): string {
    const at = this.image.indexOf('@');
    if (at >= 0) return this.image.slice(at + 1);
    return this.image.slice(this.image.lastIndexOf(':') + 1);
  }

  /** The image repository the image path names (`/<db>/<schema>/<repository>/...`). */
  get repositoryName(): ObjectName {
    return ImageRepository.repositoryOfImage(this.image);
  }

  get artifactExtension(): string {
    return this.options.artifactExtension ?? 'json';
  }

  /** Checks the trainer; the caller wraps the error with its path and prop. */
  validate(): void {
    if (!IMAGE_PATH.test(this.image)) {
      throw new InvalidValueError(
        `image ${JSON.stringify(this.image)} is not an SPCS image path with a tag or digest`,
        "Use '/<db>/<schema>/<repository>/<image>:<tag>', e.g. '/analytics/ml/images/forecast-worker:1.4.0' (no ':latest')",
      );
    }
    const repository = this.repositoryName;
    const given = this.options.repository?.qualifiedName;
    if (given && given.toString() !== repository.toString()) {
      throw new InvalidValueError(
        `repository ${given} is not the repository the image path names (${repository})`,
        `Pass the repository ${repository}, or an image path in ${given}`,
      );
    }
    if (this.imageVersion === 'latest') {
      throw new InvalidValueError(
        `image ${JSON.stringify(this.image)} uses the mutable tag 'latest', so a new image would not re-run training`,
        'Pin a version tag or a sha256 digest',
      );
    }
    for (const [k, v] of Object.entries(this.options.environment ?? {})) {
      if (!ENV_NAME.test(k)) throw new InvalidValueError(`environment name ${JSON.stringify(k)} is not a valid variable name`, 'Use letters, digits and _');
      if (k.toUpperCase().startsWith('MM_'))
        throw new InvalidValueError(
          `environment name ${k} uses the reserved MM_ prefix`,
          'Rename it; MM_ variables are set by the pipeline (docs/worker-contract.md)',
        );
      if (SECRET_LIKE.test(k))
        throw new InvalidValueError(
          `environment variable ${k} looks like a secret; job specs are stored in plain text in Terraform state and the hook manifest`,
          'Pass secrets as Snowflake secrets, never as environment values',
        );
      if (typeof v !== 'string') throw new InvalidValueError(`environment value of ${k} must be a string`, 'Convert it with String()');
    }
    const ext = this.artifactExtension;
    if (!/^[a-z0-9]{1,10}$/.test(ext))
      throw new InvalidValueError(`artifactExtension ${JSON.stringify(ext)} is not a plain file extension`, "Use e.g. 'json' or 'rds'");
    if (this.options.cpu !== undefined && !(this.options.cpu > 0))
      throw new InvalidValueError(`cpu ${this.options.cpu} must be positive`, 'Give vCPUs such as 2 or 0.5');
    if (this.options.memory !== undefined && !/^[0-9]+(\.[0-9]+)?(Mi|Gi|M|G)$/.test(this.options.memory)) {
      throw new InvalidValueError(`memory ${JSON.stringify(this.options.memory)} is not a quantity`, "Use e.g. '4Gi' or '512Mi'");
    }
  }
}
