#!/usr/bin/env bash
# Installs node dependencies when node_modules is missing or older than the lockfile. Sourced by start/test.
if [[ ! -d node_modules ]] || { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  if [[ -f package-lock.json ]]; then
    echo "[deps] npm ci" >&2
    npm ci
  else
    echo "[deps] npm install (no package-lock.json)" >&2
    npm install
  fi
fi
