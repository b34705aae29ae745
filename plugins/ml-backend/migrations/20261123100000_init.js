// @ts-check

/**
 * The ML backend's own tables: the audit trail of every mutation it performs
 * (notebooks, promotions, alert actions) so it can be shown on entity pages.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_audit_events', table => {
    table.comment('Every mutation the ML backend performed or refused');
    table.bigIncrements('id').primary();
    table
      .timestamp('occurred_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table
      .string('actor', 255)
      .notNullable()
      .comment('Entity ref of the user or service');
    table
      .string('action', 64)
      .notNullable()
      .comment('e.g. notebook.create, model.promote');
    table
      .string('target_ref', 512)
      .notNullable()
      .comment('Entity ref or resource acted upon');
    table
      .string('outcome', 16)
      .notNullable()
      .comment('succeeded | failed | refused');
    table
      .text('details')
      .nullable()
      .comment('JSON object with action-specific data');
    table.text('error').nullable();
    table.index(['target_ref', 'occurred_at'], 'ml_audit_events_target_idx');
    table.index(['actor', 'occurred_at'], 'ml_audit_events_actor_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_audit_events');
};
