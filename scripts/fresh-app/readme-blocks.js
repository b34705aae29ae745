#!/usr/bin/env node
/*
 * Applies the README's "Install in your Backstage" section to a fresh app,
 * so the section is exactly what scripts/fresh-app.sh tests.
 *
 * The section's fenced code blocks that matter are each preceded by a marker
 * comment `<!-- fresh-app:NAME -->`:
 *   install  shell lines run from the app's root (`yarn ... add @mlplatform/x`)
 *   backend  lines for packages/backend/src/index.ts
 *   config   YAML for app-config (kept as its own file, passed with --config)
 *
 * Usage:
 *   readme-blocks.js install <README> <packs-dir>   prints the shell lines, each
 *       `@mlplatform/<pkg>` rewritten to `@mlplatform/<pkg>@file:<tarball>`:
 *       the packages are not on a registry here, the tarballs are what
 *       `npm publish` would upload. Nothing else in a line changes.
 *   readme-blocks.js backend <README> <index.ts>    edits the backend's index:
 *       `import` lines after the last import, the rest before backend.start().
 *   readme-blocks.js config <README> <out.yaml>     writes the YAML block.
 */
const fs = require('fs');
const path = require('path');

const SECTION = '## Install in your Backstage';

function blocks(readmePath) {
  const text = fs.readFileSync(readmePath, 'utf8');
  const start = text.indexOf(`\n${SECTION}\n`);
  if (start < 0) throw new Error(`${readmePath}: no "${SECTION}" section`);
  const rest = text.slice(start + SECTION.length + 2);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  const found = {};
  const re = /<!-- fresh-app:([a-z]+) -->\s*\n```[a-z]*\n([\s\S]*?)\n```/g;
  for (const m of section.matchAll(re)) {
    if (found[m[1]]) throw new Error(`fresh-app:${m[1]} appears twice`);
    found[m[1]] = m[2];
  }
  for (const name of ['install', 'backend', 'config']) {
    if (!found[name])
      throw new Error(`no fresh-app:${name} block in "${SECTION}"`);
  }
  return found;
}

function install(readme, packsDir) {
  const tarball = name => {
    // `yarn pack --out %s.tgz` names @scope/name "@scope-name.tgz"
    const file = path.join(packsDir, `${name.replace('/', '-')}.tgz`);
    if (!fs.existsSync(file))
      throw new Error(`README installs ${name}, but ${file} was not packed`);
    return `${name}@file:${file}`;
  };
  const lines = blocks(readme)
    .install.split('\n')
    .filter(l => l.trim() && !l.trim().startsWith('#'))
    .map(l => l.replace(/@mlplatform\/[a-z0-9-]+/g, tarball));
  process.stdout.write(`${lines.join('\n')}\n`);
}

function backend(readme, indexPath) {
  const lines = blocks(readme).backend.split('\n');
  const imports = [];
  const body = [];
  let inImport = false;
  for (const l of lines) {
    // a multi-line `import {\n a,\n} from '...';` stays together
    if (l.startsWith('import ') || inImport) {
      imports.push(l);
      inImport = !/;\s*$/.test(l);
    } else body.push(l);
  }
  const src = fs.readFileSync(indexPath, 'utf8').split('\n');
  const startAt = src.findIndex(l => l.startsWith('backend.start()'));
  if (startAt < 0) throw new Error(`${indexPath}: no backend.start() line`);
  src.splice(startAt, 0, ...body, '');
  let lastImport = -1;
  src.forEach((l, i) => {
    if (/^import .*;\s*$/.test(l) || /^} from .*;\s*$/.test(l)) lastImport = i;
  });
  src.splice(lastImport + 1, 0, ...imports);
  fs.writeFileSync(indexPath, src.join('\n'));
}

function config(readme, outPath) {
  fs.writeFileSync(outPath, `${blocks(readme).config}\n`);
}

const [cmd, readme, target] = process.argv.slice(2);
const commands = { install, backend, config };
if (!commands[cmd] || !readme || !target) {
  console.error(
    'usage: readme-blocks.js install|backend|config <README> <target>',
  );
  process.exit(2);
}
try {
  commands[cmd](readme, target);
} catch (e) {
  console.error(`readme-blocks: ${e.message}`);
  process.exit(1);
}
