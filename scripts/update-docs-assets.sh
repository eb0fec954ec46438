#!/usr/bin/env bash
# Re-fetches the Redoc bundle that /docs serves (embedded with go:embed, no CDN)
# from npm at the pinned version and checks it against the pinned sha256.
# To move to another version: set REDOC_VERSION, run with REDOC_SHA256= (empty)
# to print the new sum, review it, pin it here, then run
#   go test ./handlers -run TestDocsAsset
# which checks the embedded file against SHA256SUMS and this pin.
set -euo pipefail

REDOC_VERSION=2.5.4
REDOC_SHA256=${REDOC_SHA256-dcaf76612bc4a3fbcc923a8966dee2f6146a5f32e5ce1b6f02dd60cbbf89500b}

here="$(cd "$(dirname "$0")/.." && pwd)"
dest="$here/handlers/docs_assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "redoc@${REDOC_VERSION}" >/dev/null)
tar -xzf "$work/redoc-${REDOC_VERSION}.tgz" -C "$work" \
	package/bundles/redoc.standalone.js package/bundles/redoc.standalone.js.LICENSE.txt package/LICENSE

got="$(sha256sum "$work/package/bundles/redoc.standalone.js" | cut -d' ' -f1)"
if [[ -n "$REDOC_SHA256" && "$got" != "$REDOC_SHA256" ]]; then
	echo "redoc@${REDOC_VERSION} bundle sha256 is $got, pinned $REDOC_SHA256: refusing to update" >&2
	exit 1
fi

mkdir -p "$dest"
cp "$work/package/bundles/redoc.standalone.js" "$dest/redoc.standalone.js"
cp "$work/package/bundles/redoc.standalone.js.LICENSE.txt" "$dest/redoc.standalone.js.LICENSE.txt"
cp "$work/package/LICENSE" "$dest/redoc.LICENSE"
echo "$REDOC_VERSION" >"$dest/REDOC_VERSION"
(cd "$dest" && sha256sum redoc.standalone.js >SHA256SUMS)
cat "$dest/SHA256SUMS"
