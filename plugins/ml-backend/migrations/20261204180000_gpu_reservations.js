// @ts-check

/**
 * GPUs promised to notebooks being created or started, so the quota check
 * and the creation hold together across requests and backend replicas: a
 * check counts the live reservations of its cluster besides what the
 * cluster reports used.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_gpu_reservations', table => {
    table.comment(
      'GPUs promised to notebooks the cluster may not count as used yet',
    );
    table.bigIncrements('id').primary();
    table.string('cluster', 253).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('resource', 253).notNullable().comment('e.g. nvidia.com/gpu');
    table
      .string('flavor', 253)
      .nullable()
      .comment('Kueue ResourceFlavor; null for a ResourceQuota');
    table.integer('gpus').notNullable();
    table.string('notebook', 63).notNullable();
    table
      .string('state', 16)
      .notNullable()
      .comment('applying: objects being created; applied: created');
    // Epoch milliseconds: compared the same way on every database.
    table
      .bigInteger('expires_at')
      .notNullable()
      .comment('Epoch ms after which the reservation no longer counts');
    table.bigInteger('created_at').notNullable();
    table.index(['cluster', 'expires_at'], 'ml_gpu_reservations_cluster_idx');
    table.index(
      ['cluster', 'namespace', 'notebook'],
      'ml_gpu_reservations_notebook_idx',
    );
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_gpu_reservations');
};
