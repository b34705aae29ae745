// @ts-check

/**
 * What the alert webhook did for each alert: one row per (fingerprint,
 * startsAt, action), so a re-delivered alert starts nothing twice, the rate
 * limit can count per model, and the Model page can say "retraining started
 * by alert X at T".
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('ml_alert_actions', table => {
    table.comment('Actions the ML backend ran (or refused) for alerts');
    table.bigIncrements('id').primary();
    table.string('fingerprint', 64).notNullable();
    table
      .string('starts_at', 64)
      .notNullable()
      .comment('The alert startsAt as delivered, part of its identity');
    table.string('action', 64).notNullable();
    table.string('alertname', 255).notNullable();
    table
      .string('entity_ref', 512)
      .notNullable()
      .comment('The Model the alert concerns');
    table
      .string('status', 16)
      .notNullable()
      .comment('started | rate-limited | failed | no-match');
    table.text('summary').notNullable();
    table.string('run_id', 255).nullable();
    table.string('pipeline_ref', 512).nullable();
    table
      .timestamp('created_at', { useTz: true })
      .notNullable()
      .defaultTo(knex.fn.now());
    table.unique(['fingerprint', 'starts_at', 'action', 'entity_ref'], {
      indexName: 'ml_alert_actions_alert_uq',
    });
    table.index(['entity_ref', 'created_at'], 'ml_alert_actions_entity_idx');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('ml_alert_actions');
};
