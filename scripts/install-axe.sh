#!/usr/bin/env sh
# axe-core, the accessibility rules the browser tests inject into each page. It is a test tool,
# not part of the product, so it lives in a git-ignored folder and is fetched only when missing.
set -eu
cd "$(dirname "$0")/.."

AXE_VERSION="${AXE_VERSION:-4.14.1}"
AXE_DIR="${AXE_DIR:-.cache/axe}"
AXE_FILE="$AXE_DIR/node_modules/axe-core/axe.min.js"
AXE_PACKAGE="$AXE_DIR/node_modules/axe-core/package.json"

if [ -f "$AXE_FILE" ] && grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_PACKAGE" 2>/dev/null; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "install-axe: npm is missing (apt-get install npm); the accessibility tests will say so" >&2
  exit 0
fi
mkdir -p "$AXE_DIR"
npm install --no-save --no-audit --no-fund --silent --prefix "$AXE_DIR" "axe-core@$AXE_VERSION"
test -f "$AXE_FILE"
