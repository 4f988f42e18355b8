#!/usr/bin/env bash
# Lints the protos with buf (STANDARD rules, buf.yaml). Installs the pinned buf CLI from npm on
# first use; exit code 100 from buf means lint violations.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x buf/node_modules/.bin/buf ]; then
  npm install --prefix buf --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null
fi
buf/node_modules/.bin/buf lint
echo "buf lint: protos pass the STANDARD rules"
