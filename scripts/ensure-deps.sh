#!/usr/bin/env bash
# Installs node dependencies when node_modules is missing or older than the lockfile. Sourced by start/test.
# `npm ci` is tried first; the registry reachable here lacks some optional platform packages (darwin/win32
# builds of @swc/core, unrs-resolver), so the lockfile has no entries for them and `npm ci` may refuse it as
# out of sync. `npm install` then resolves the same tree from the lockfile (it leaves the lockfile as is).
# Native addons (better-sqlite3) build from source where their prebuilt binaries cannot be downloaded; node-gyp
# then needs Node's headers, which it would also download — point it at the ones installed with node instead.
node_prefix=$(dirname "$(dirname "$(command -v node)")")
if [[ -z ${npm_config_nodedir:-} && -f $node_prefix/include/node/node.h ]]; then
  export npm_config_nodedir=$node_prefix
fi
if [[ ! -d node_modules ]] || { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  ci_log=$(mktemp)
  if [[ -f package-lock.json ]] && npm ci --no-audit --no-fund 2>"$ci_log"; then
    :
  else
    echo "[deps] npm ci refused the lockfile here ($(grep -m1 'npm error' "$ci_log" || echo 'no lockfile')); running npm install" >&2
    npm install --no-audit --no-fund
  fi
  rm -f "$ci_log"
fi
