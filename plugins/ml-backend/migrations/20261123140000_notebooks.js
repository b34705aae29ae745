// @ts-check

/**
 * Notebooks created through the portal, so "My notebooks" can list them and
 * stop/start/delete know what they made and for whom.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_notebooks', table => {
    table.comment('Notebooks the ML backend created on a cluster');
    table.bigIncrements('id').primary();
    table.string('cluster', 253).notNullable();
    table.string('namespace', 63).notNullable();
    table.string('name', 63).notNullable();
    table
      .string('created_by', 255)
      .notNullable()
      .comment('User entity ref of the creator');
    table
      .string('team', 255)
      .nullable()
      .comment('Group entity ref owning the namespace at creation');
    table
      .text('spec')
      .notNullable()
      .comment(
        'JSON: image, cpu, memory, storage, gpus, gpuResource, flavor, backend, queue',
      );
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.timestamp('deleted_at', { useTz: true }).nullable();
    table.index(['created_by', 'deleted_at'], 'ml_notebooks_created_by_idx');
    table.index(['cluster', 'namespace', 'name'], 'ml_notebooks_object_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_notebooks');
};
