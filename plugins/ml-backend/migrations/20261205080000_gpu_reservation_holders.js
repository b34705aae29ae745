// @ts-check

/**
 * GPU reservations held by model deployments as well as notebooks: the
 * holder's name (was `notebook`) and its kind, so one check under one lock
 * promises a cluster's GPUs to both.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('ml_gpu_reservations', table => {
    table.renameColumn('notebook', 'holder');
  });
  await knex.schema.alterTable('ml_gpu_reservations', table => {
    table
      .string('holder_kind', 16)
      .notNullable()
      .defaultTo('notebook')
      .comment('notebook or deployment: what holds the GPUs');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex('ml_gpu_reservations')
    .whereNot({ holder_kind: 'notebook' })
    .delete();
  await knex.schema.alterTable('ml_gpu_reservations', table => {
    table.dropColumn('holder_kind');
  });
  await knex.schema.alterTable('ml_gpu_reservations', table => {
    table.renameColumn('holder', 'notebook');
  });
};
