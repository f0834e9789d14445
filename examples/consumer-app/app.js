const { App, TerraformStack } = require('cdktf');
const { SnowflakeProvider } = require('@cdktf/provider-snowflake/lib/provider');
const { Warehouse: WarehouseResource } = require('@cdktf/provider-snowflake/lib/warehouse');
// Depends on the package by name: npm install cdktf-snowflake-many-model (or the tarball of npm pack).
const mm = require('cdktf-snowflake-many-model');

class Platform extends TerraformStack {
  constructor(scope, id) {
    super(scope, id);
    new SnowflakeProvider(this, 'snowflake', {});
    mm.enablePreviewFeatures(this);
    new WarehouseResource(this, 'BiWarehouse', { name: 'BI_WH', warehouseSize: 'XSMALL' }); // unrelated resource of the larger stack
    const db = new mm.Database(this, 'Sales', { name: 'SALES' });
    const pool = mm.ComputePool.fromName(this, 'Pool', 'TEAM_POOL', { instanceFamily: mm.InstanceFamily.CPU_X64_M, maxNodes: 4 });
    const pipeline = new mm.ManyModelPipeline(this, 'StoreDemand', {
      database: db,
      schema: mm.Schema.fromName(this, 'Ml', 'SALES.ML'),
      warehouse: mm.Warehouse.fromName(this, 'Wh', 'ML_WH'),
      source: mm.SourceTable.fromName(this, 'Src', 'SALES.RAW.DAILY_UNITS', { partitionColumn: 'STORE_ID', orderColumn: 'DAY', targetColumn: 'UNITS' }),
      computePool: pool,
      trainer: mm.Trainer.fromImage('/sales/ml/images/demand:2.0.1'),
      training: mm.TrainingStrategy.tasks({ slots: 4 }),
      roles: { runner: mm.Role.fromName(this, 'Runner', 'ML_RUNNER') },
      scoring: { horizon: 14 },
    });
    pipeline.aggregator.grantPredict(mm.Role.fromName(this, 'Bi', 'BI_READERS'));
  }
}
const app = new App({ outdir: 'out' });
new Platform(app, 'platform');
app.synth();
