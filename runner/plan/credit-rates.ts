/**
 * Snowflake credits per hour of the compute the plan's cost estimate prices: standard and
 * Snowpark-optimized warehouses by size, and compute pool nodes by instance family. The one place
 * these numbers live; each comes from a page named below, read on RATES_READ_ON. A rate the pages
 * did not give is `null`, and the estimate shows that usage as unpriced rather than guess.
 *
 * Sources (read 2026-12-03):
 * - "Overview of warehouses", https://docs.snowflake.com/user-guide/warehouses-overview: credits per
 *   hour of standard (Gen1) warehouses by size, X-Small 1, doubling with each size to 6X-Large 512.
 * - "Understanding compute cost", https://docs.snowflake.com/en/user-guide/what-are-credits.html:
 *   the same standard rates, and Snowpark-optimized warehouses from Medium (6) to 6X-Large (768),
 *   "n/a" for X-Small and Small. "Understanding Compute Cost",
 *   https://docs.snowflake.com/en/user-guide/cost-understanding-compute.html: warehouse credits are
 *   billed per second, with one minute billed each time a warehouse starts or resumes.
 * - "SNOWPARK_CONTAINER_SERVICES_HISTORY view",
 *   https://docs.snowflake.com/en/sql-reference/account-usage/snowpark_container_services_history:
 *   a compute pool's credit rate depends on its instance family, as set out in Snowflake's
 *   consumption table (the Service Consumption Table). That table (a PDF on snowflake.com) was not
 *   among the pages the documentation search could read, and no page read gives a per-family
 *   number ("CREATE COMPUTE POOL" and "Working with compute pools" list the families without
 *   rates), so every instance family's rate is null here: node-hours are estimated and their
 *   credits shown as unpriced until a rate is supplied (`many-model plan --pool-rate FAMILY=CREDITS`,
 *   `CostOptions.rates`: from the consumption table or the account's contract).
 * - Gen2 standard warehouses (RESOURCE_CONSTRAINT = STANDARD_GEN_2) and serverless tasks are
 *   priced in the same consumption table: unpriced for the same reason.
 */

/** When the sources above were read. */
export const RATES_READ_ON = '2026-12-03';

/** Credits per hour of one standard (Gen1) warehouse cluster, by `warehouse_size` as Terraform writes it. */
export const STANDARD_WAREHOUSE_CREDITS_PER_HOUR: Readonly<Record<string, number>> = {
  XSMALL: 1,
  SMALL: 2,
  MEDIUM: 4,
  LARGE: 8,
  XLARGE: 16,
  XXLARGE: 32,
  XXXLARGE: 64,
  X4LARGE: 128,
  X5LARGE: 256,
  X6LARGE: 512,
};

/** Credits per hour of one Snowpark-optimized warehouse cluster ("n/a" below Medium). */
export const SNOWPARK_OPTIMIZED_WAREHOUSE_CREDITS_PER_HOUR: Readonly<Record<string, number>> = {
  MEDIUM: 6,
  LARGE: 12,
  XLARGE: 24,
  XXLARGE: 48,
  XXXLARGE: 96,
  X4LARGE: 192,
  X5LARGE: 384,
  X6LARGE: 768,
};

/** Credits per node-hour by compute pool instance family: null where no source read gives one (above). */
export const COMPUTE_POOL_CREDITS_PER_NODE_HOUR: Readonly<Record<string, number | null>> = {
  CPU_X64_XS: null,
  CPU_X64_S: null,
  CPU_X64_M: null,
  CPU_X64_SL: null,
  CPU_X64_L: null,
  HIGHMEM_X64_S: null,
  HIGHMEM_X64_M: null,
  HIGHMEM_X64_L: null,
  GPU_NV_S: null,
  GPU_NV_M: null,
  GPU_NV_L: null,
};

/** Seconds billed at least each time a warehouse starts or resumes ("Understanding Compute Cost"). */
export const WAREHOUSE_MINIMUM_BILLED_SECONDS = 60;

/** Rates the estimate uses; `CostOptions.rates` overrides entries (e.g. pool rates from a contract's table). */
export interface CreditRates {
  /** By `warehouse_size` (XSMALL, ...), for standard warehouses. */
  readonly warehouse: Readonly<Record<string, number | null>>;
  /** By `warehouse_size`, for `warehouse_type = SNOWPARK-OPTIMIZED`. */
  readonly snowparkOptimizedWarehouse: Readonly<Record<string, number | null>>;
  /** By instance family, per node-hour. */
  readonly computePool: Readonly<Record<string, number | null>>;
}

export const DEFAULT_CREDIT_RATES: CreditRates = {
  warehouse: STANDARD_WAREHOUSE_CREDITS_PER_HOUR,
  snowparkOptimizedWarehouse: SNOWPARK_OPTIMIZED_WAREHOUSE_CREDITS_PER_HOUR,
  computePool: COMPUTE_POOL_CREDITS_PER_NODE_HOUR,
};

/** The default rates with `overrides` laid over them, table by table. */
export function creditRates(overrides: Partial<CreditRates> = {}): CreditRates {
  return {
    warehouse: { ...DEFAULT_CREDIT_RATES.warehouse, ...overrides.warehouse },
    snowparkOptimizedWarehouse: { ...DEFAULT_CREDIT_RATES.snowparkOptimizedWarehouse, ...overrides.snowparkOptimizedWarehouse },
    computePool: { ...DEFAULT_CREDIT_RATES.computePool, ...overrides.computePool },
  };
}

/**
 * Terraform's `warehouse_size` in the forms the provider accepts (`XSMALL`, `X-SMALL`, `X2LARGE`,
 * `2X-LARGE`, `X4LARGE`, ...) as this file's keys.
 */
export function normalizeWarehouseSize(size: string): string {
  const s = size.toUpperCase().replace(/[\s_-]/g, '');
  const n = (/^(\d)XLARGE$/.exec(s) ?? /^X(\d)LARGE$/.exec(s))?.[1];
  if (n === undefined) return s;
  return n === '2' ? 'XXLARGE' : n === '3' ? 'XXXLARGE' : `X${n}LARGE`;
}
