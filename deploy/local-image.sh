#!/usr/bin/env bash
# Builds the podmortem image without pulling a base image (CI and the lab have no registry): a rootfs
# of this machine's `node` with its shared libraries, the built dist/, the production node_modules
# and package.json, imported with `docker import` as the Dockerfile's runtime stage would lay it out.
# Usage: deploy/local-image.sh [IMAGE] [DOCKER_HOST]   (defaults: podmortem:local, the default engine)
# Needs `npm ci` run first (dist/ built) and the docker CLI.
set -euo pipefail
cd "$(dirname "$0")/.."
image=${1:-podmortem:local}
host=${2:+-H $2}
[ -f dist/cli/main.js ] || { echo "local-image: dist/ is not built (run npm ci first)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root=$work/rootfs
mkdir -p "$root"/{app,usr/bin,tmp,etc,proc,sys,dev,host,var/lib/podmortem}
chmod 1777 "$root/tmp"

# node and the libraries the dynamic loader resolves for it, at the same paths.
node=$(readlink -f "$(command -v node)")
cp "$node" "$root/usr/bin/node"
for lib in $(ldd "$node" | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

# The program: production dependencies only (no scripts: our `prepare` needs the dev ones; native
# dependencies are rebuilt against this node).
cp package.json package-lock.json README.md "$root/app/"
cp -r dist "$root/app/dist"
mkdir -p "$root/app/schema" && cp schema/report.schema.json "$root/app/schema/"
(cd "$root/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error && npm rebuild --loglevel=error)
rm "$root/app/package-lock.json"
echo 'root:x:0:0:root:/:/sbin/nologin' > "$root/etc/passwd"

# shellcheck disable=SC2086
tar -C "$root" -c . | docker $host import \
  -c 'WORKDIR /app' -c 'ENV NODE_ENV=production' -c 'EXPOSE 9713' \
  -c 'ENTRYPOINT ["/usr/bin/node", "/app/dist/cli/main.js"]' -c 'CMD ["agent"]' \
  - "$image" >/dev/null
echo "$image"
