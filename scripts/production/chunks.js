#!/usr/bin/env node
/*
 * scripts/production.sh: the app's JavaScript by chunk, gzipped as a browser
 * downloads it, and which chunks hold the ML frontend plugin (found by its
 * own strings). Usage: chunks.js <packages/app/dist/static>
 */
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const dir = process.argv[2];
// Strings only @mlplatform/plugin-ml's code contains.
const ML_MARKERS = ['mlplatform.io/', 'ml-overview', '/api/ml'];
const kb = n => `${(n / 1024).toFixed(1)} kB`;
const files = fs
  .readdirSync(dir)
  .filter(f => f.endsWith('.js'))
  .map(f => {
    const buf = fs.readFileSync(path.join(dir, f));
    const text = buf.toString();
    return {
      f,
      raw: buf.length,
      gz: zlib.gzipSync(buf).length,
      ml: ML_MARKERS.some(m => text.includes(m)),
    };
  })
  .sort((a, b) => b.gz - a.gz);
const sum = (xs, k) => xs.reduce((n, x) => n + x[k], 0);
const ml = files.filter(x => x.ml);
const html = fs.readFileSync(path.join(dir, '..', 'index.html'), 'utf8');
const initial = files.filter(x => html.includes(x.f));
console.log(
  `   ${files.length} chunks, ${kb(
    sum(files, 'gz'),
  )} gzipped in all; loaded by index.html: ${initial.length} (${kb(
    sum(initial, 'gz'),
  )})`,
);
console.log(
  `   ML plugin: ${ml.length} chunks, ${kb(sum(ml, 'gz'))} gzipped (${kb(
    sum(ml, 'raw'),
  )} raw); in index.html's initial chunks: ${
    ml.filter(x => html.includes(x.f)).length
  }`,
);
for (const x of ml.slice(0, 12)) {
  console.log(
    `     ${x.f.padEnd(40)} ${kb(x.gz).padStart(10)} gz ${kb(x.raw).padStart(
      10,
    )} raw`,
  );
}
