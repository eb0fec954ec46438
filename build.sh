#!/usr/bin/env bash
# Render's build command (render.yaml: buildCommand ./build.sh). Builds one
# static binary, ./bin/izpochat, that render.yaml's startCommand runs.
#   OUT=path ./build.sh   writes the binary elsewhere (tests use it).
set -euo pipefail
cd "$(dirname "$0")"

out="${OUT:-bin/izpochat}"

# The version shown by --version, /api/status and GET /: Render's commit when
# Render builds, else git's description of the work tree, else "dev".
version="dev"
if [[ -n "${RENDER_GIT_COMMIT:-}" ]]; then
	version="${RENDER_GIT_COMMIT:0:7}"
elif git rev-parse --git-dir >/dev/null 2>&1; then
	version="$(git describe --always --dirty 2>/dev/null || echo dev)"
fi

mkdir -p "$(dirname "$out")"
# CGO_ENABLED=0: a static binary (the SQLite driver is pure Go), so the start
# command runs on any Linux image. -trimpath keeps build paths out of it.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${version}" -o "$out" .
echo "built $out (version $version)"
