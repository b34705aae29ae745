// @ts-check

/**
 * Kueue admissions the backend observed: when a pending Workload got its
 * quota (QuotaReserved=True), how long it had waited since it was created.
 * The wait estimates of GET /quotas/wait-estimate are quantiles of these,
 * per ClusterQueue, flavor and request size.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_queue_admissions', table => {
    table.comment('Kueue Workloads admitted, with their wait from creation');
    table.bigIncrements('id').primary();
    table.string('cluster', 253).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('workload', 253).notNullable();
    table
      .string('uid', 64)
      .notNullable()
      .comment('Workload metadata.uid: one row per workload');
    table.string('cluster_queue', 253).notNullable();
    table
      .string('flavor', 253)
      .nullable()
      .comment('ResourceFlavor of the GPUs');
    table.string('resource', 253).notNullable().comment('e.g. nvidia.com/gpu');
    table.integer('gpus').notNullable();
    // Epoch milliseconds: compared the same way on every database.
    table.bigInteger('created_at').notNullable();
    table.bigInteger('admitted_at').notNullable();
    table.float('wait_seconds').notNullable();
    table.unique(['cluster', 'uid'], {
      indexName: 'ml_queue_admissions_workload_uq',
    });
    table.index(
      ['cluster', 'cluster_queue', 'admitted_at'],
      'ml_queue_admissions_queue_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_queue_admissions');
};
