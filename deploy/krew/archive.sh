#!/usr/bin/env bash
# Builds the krew archive kubectl-podmortem-v<version>.tar.gz in the current folder: the npm
# package as published (dist/, README), its production dependencies, and the kubectl-podmortem
# entry point; then prints the sha256 that deploy/krew/podmortem.yaml must carry.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
version=$(node -p "require('$repo/package.json').version")
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
(cd "$repo" && npm pack --pack-destination "$stage" >/dev/null)
tar -xzf "$stage"/podmortem-"$version".tgz -C "$stage"
(cd "$stage/package" && npm install --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
cp "$repo/deploy/krew/kubectl-podmortem" "$stage/package/"
out="$PWD/kubectl-podmortem-v$version.tar.gz"
tar --sort=name --owner=0 --group=0 --numeric-owner -czf "$out" -C "$stage/package" .
sha256sum "$out"
