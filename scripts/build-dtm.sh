#!/usr/bin/env bash
# build-dtm.sh OUTPUT: the DTM server v1.19.0 with its dashboard, built from the Go module proxy
# and npm, with two patches. The local stack (scripts/stack.sh) and the Docker image (Dockerfile,
# stage dtm) both build it with this script. Needs Go 1.21 or newer and npm.
DTM_VERSION=v1.19.0
DTM_MODULE=github.com/dtm-labs/dtm
# The Go toolchain that builds it where the machine's Go is too old for DTM's go.mod (the
# Docker image downloads this one from the Go module proxy).
GO_TOOLCHAIN=go1.23.12
# The module's source (read-only), from the Go module proxy. `go install module@version` also
# reads the module's version list, which the proxy refuses for this module (403); downloading
# the tagged version does not.
dtm_module_dir() { go mod download -json "$DTM_MODULE@$DTM_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0  # sourced (scripts/stack.sh): the version and the source only
set -euo pipefail
OUTPUT=$(realpath -m "${1:?usage: scripts/build-dtm.sh OUTPUT}")
die() { echo "build-dtm: error: $*" >&2; exit 1; }

go_minor=$(go env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')
[ "${go_minor:-0}" -ge 21 ] || die "Go 1.21 or newer is needed to build DTM (found: $(go version 2>&1)); Debian 12's golang-go is 1.19, too old"
module=$(dtm_module_dir)
[ -d "$module" ] || die "go mod download $DTM_MODULE@$DTM_VERSION gave no source directory"
# main.go embeds admin/dist, which the module ships empty (then `/` is proxied to an internet
# host): build the dashboard into a writable copy of the source first.
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
cp -r "$module/." "$src" && chmod -R u+w "$src"

# DTM has no listen-address setting: it serves HTTP and gRPC on every interface
# (dtmsvr/svr.go: ":%d"). Its API hands every transaction's branch token to whoever asks, and
# can submit or abort any transaction, so it listens on loopback unless DTM_LISTEN_HOST names
# another address (a container on its own network: 0.0.0.0, which only its network reaches).
cat >"$src/dtmsvr/listen_host.go" <<'GO'
package dtmsvr

import "os"

// listenHost is where the servers listen: DTM_LISTEN_HOST, or loopback.
func listenHost() string {
	if host := os.Getenv("DTM_LISTEN_HOST"); host != "" {
		return host
	}
	return "127.0.0.1"
}
GO
sed -i 's/fmt.Sprintf(":%d", conf.HTTPPort)/fmt.Sprintf("%s:%d", listenHost(), conf.HTTPPort)/; s/fmt.Sprintf(":%d", conf.GrpcPort)/fmt.Sprintf("%s:%d", listenHost(), conf.GrpcPort)/' "$src/dtmsvr/svr.go"
[ "$(grep -c 'listenHost(), conf' "$src/dtmsvr/svr.go")" = 2 ] || die "DTM's dtmsvr/svr.go has changed: the listen-address patch no longer applies"
# Upstream's fix of a lost saga, made after v1.19.0 and in no release yet (dtm-labs/dtm commit
# c5a3e5f, "Handle errors for save new"; the module proxy serves tags only): when saving a new
# saga failed (its store's link reset), submit ran its branches anyway, with nothing stored to
# retry or compensate them. The HA stack's chaos run found it: a payment charged, its order
# left paying for good (docs/fault-matrix.md).
sed -z -i 's/\t}\n\treturn t.Process(branches)\n}/\t} else if err != nil {\n\t\treturn err\n\t}\n\treturn t.Process(branches)\n}/' "$src/dtmsvr/api.go"
[ "$(grep -c '} else if err != nil {' "$src/dtmsvr/api.go")" = 1 ] || die "DTM's dtmsvr/api.go has changed: the save-error patch no longer applies"

# Exactly the UI's lock file. Its `resolved` URLs name a mirror that may not be reachable:
# --replace-registry-host=always fetches the same versions (and checks the same integrity
# hashes) from the configured registry. It pins vite 3.2.11 beside @vitejs/plugin-vue 4.2.3,
# whose peer range says vite 4; npm 7+ refuses that pair unless --legacy-peer-deps (and the
# pair builds: the dashboard works). Its version must match the server's, or it says so.
(cd "$src/admin" && npm ci --legacy-peer-deps --replace-registry-host=always --no-audit --no-fund \
  && VITE_ADMIN_VERSION="$DTM_VERSION" npm run build) || die "could not build DTM's dashboard (npm)"
mkdir -p "$(dirname "$OUTPUT")"
ldflags="-X main.Version=$DTM_VERSION"
(cd "$src" && go build -ldflags "$ldflags" -o "$OUTPUT" .) \
  || (cd "$src" && GOTOOLCHAIN=$GO_TOOLCHAIN go build -ldflags "$ldflags" -o "$OUTPUT" .) \
  || die "could not build the DTM server"
