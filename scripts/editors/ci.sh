#!/usr/bin/env bash
# CI entry for the real-editor tests: install whatever editor is missing from the cache
# outside the clone (scripts/editors/install.sh), build the VS Code extension's
# dependencies, then run tests/editors with the installed tools' paths exported.
# Run from the repository root with the project's Python environment active.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python}"
while IFS='=' read -r name path; do
    export "$name=$path"
done < <(PYTHON="$PYTHON" bash scripts/editors/install.sh neovim vscode)

if [[ ! editors/vscode/node_modules/.package-lock.json -nt editors/vscode/package-lock.json ]]; then
    (cd editors/vscode && npm ci --no-audit --no-fund --silent)
fi

exec "$PYTHON" -m pytest -q tests/editors "$@"
