// @ts-check

/**
 * One live notebook per name in a namespace of a cluster: the JupyterHub
 * backend claims the name in the store before it spawns, so two creations of
 * the same name (even concurrent, even on two replicas) cannot both succeed.
 * Older duplicates a replica let through before this are marked deleted,
 * keeping the newest. MySQL has no partial indexes: there the API's own
 * check stands alone.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  const live = await knex('ml_notebooks')
    .whereNull('deleted_at')
    .select('id', 'cluster', 'namespace', 'name')
    .orderBy('id', 'desc');
  const seen = new Set();
  const older = [];
  for (const row of live) {
    const key = `${row.cluster}\u0000${row.namespace}\u0000${row.name}`;
    if (seen.has(key)) older.push(row.id);
    else seen.add(key);
  }
  if (older.length > 0) {
    await knex('ml_notebooks')
      .whereIn('id', older)
      .update({ deleted_at: knex.fn.now() });
  }
  if (String(knex.client.config.client).includes('mysql')) return;
  await knex.raw(
    'CREATE UNIQUE INDEX ml_notebooks_live_name_idx ON ml_notebooks (cluster, namespace, name) WHERE deleted_at IS NULL',
  );
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  if (String(knex.client.config.client).includes('mysql')) return;
  await knex.raw('DROP INDEX ml_notebooks_live_name_idx');
};
