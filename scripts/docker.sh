#!/usr/bin/env bash
# Docker for `make compose-test` (docs/docker.md): an engine, a base image and Compose, each made
# once and reused; then Compose itself, with the test's override (every container on the host's
# loopback).
#
#   scripts/docker.sh packages       docker.io and debootstrap installed (apt-get)
#   scripts/docker.sh prepare        those, dockerd answering, DTM's ports kept from clients, the local base image, Compose built
#   scripts/docker.sh build          the images (make compose-test builds them too, if needed)
#   scripts/docker.sh compose ARGS   docker compose ARGS on docker-compose.yml + docker/host-network.yml
#
# No image registry is reachable here, so the images' base is not pulled: it is made by
# debootstrap from the Debian mirror that apt uses, with this machine's CA certificates (its
# HTTPS goes through a proxy that they vouch for). A user's build starts from debian:bookworm-slim
# instead; nothing else differs (the Dockerfile's BASE argument).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
eval "$("$PY" -P busi/config.py | grep '^RUN_DIR=')"  # only that: compose reads MYSQL_PASSWORD and the secrets from the caller
COMPOSE_VERSION=v2.40.3
COMPOSE_BIN="$RUN_DIR/bin/docker-compose-$COMPOSE_VERSION"
BASE_IMAGE=local/debian:bookworm
DOCKER_DIR="$RUN_DIR/docker"
mkdir -p "$DOCKER_DIR"
PATH="$PATH:/usr/sbin:/sbin"

say() { echo "docker: $*"; }
die() { echo "docker: error: $*" >&2; exit 1; }

packages() {
  command -v dockerd >/dev/null && command -v debootstrap >/dev/null && return
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages; run: sudo apt-get install -y docker.io debootstrap"
  say "installing docker.io and debootstrap with apt-get"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
}

engine_up() {
  docker info >/dev/null 2>&1 && return
  [ "$(id -u)" -eq 0 ] || die "no Docker engine answers: start one (dockerd needs root)"
  # No bridge and no iptables rules: every container the test runs uses the host's network.
  say "starting dockerd (log: $DOCKER_DIR/dockerd.log)"
  setsid dockerd --bridge=none --iptables=false --ip6tables=false </dev/null >>"$DOCKER_DIR/dockerd.log" 2>&1 &
  echo $! >"$DOCKER_DIR/dockerd.pid"
  local deadline=$((SECONDS + 60))
  until docker info >/dev/null 2>&1; do
    [ $SECONDS -ge $deadline ] && { tail -n 20 "$DOCKER_DIR/dockerd.log" >&2; die "dockerd did not answer within 60 s"; }
    sleep 0.5
  done
}

# DTM's containers listen on 36789-36791 (HTTP, gRPC, JSON-RPC: DTM's defaults), inside Linux's
# range of ephemeral ports (32768-60999). A loopback client's socket may hold one when DTM
# starts, and DTM then dies, "bind: address already in use": a CI run's DTM container did, on
# 36790. Reserved, the kernel hands them to no client (binding them stays allowed).
reserve_dtm_ports() {
  local reserved; reserved=$(cat /proc/sys/net/ipv4/ip_local_reserved_ports)
  case ",$reserved," in *,36789-36791,*) return ;; esac
  sysctl -q -w net.ipv4.ip_local_reserved_ports="${reserved:+$reserved,}36789-36791" \
    || say "could not reserve 36789-36791 from the ephemeral ports (not root?): DTM may find one taken"
}

# The mirror apt uses here (deb822 sources, or a one-line sources.list).
debian_mirror() {
  { grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}'
    grep -hs '^deb ' /etc/apt/sources.list | awk '{print $2}'; } 2>/dev/null | grep -v security | head -n 1 || true
}

base_image() {
  docker image inspect "$BASE_IMAGE" >/dev/null 2>&1 && return
  local mirror rootfs; mirror=$(debian_mirror)
  [ -n "$mirror" ] || die "found no Debian mirror in apt's sources"
  rootfs=$(mktemp -d)
  say "making $BASE_IMAGE with debootstrap from $mirror (about a minute, once)"
  debootstrap --variant=minbase --include=ca-certificates bookworm "$rootfs" "$mirror" >"$DOCKER_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$DOCKER_DIR/debootstrap.log" >&2; die "debootstrap failed"; }
  cp /usr/local/share/ca-certificates/*.crt "$rootfs/usr/local/share/ca-certificates/" 2>/dev/null || true
  chroot "$rootfs" update-ca-certificates >>"$DOCKER_DIR/debootstrap.log" 2>&1 || die "update-ca-certificates failed in $rootfs"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$BASE_IMAGE" >/dev/null
  rm -rf "$rootfs"
}

# Compose v2, built from the Go module proxy: `go install` is refused (its go.mod has exclude
# directives), building inside the downloaded module is not.
compose_build() {
  [ -x "$COMPOSE_BIN" ] && return
  say "building Compose $COMPOSE_VERSION from the Go module proxy (about 2 minutes, once)"
  local module src
  module=$(go mod download -json "github.com/docker/compose/v2@$COMPOSE_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
  [ -d "$module" ] || die "go mod download of Compose $COMPOSE_VERSION gave no source directory"
  src=$(mktemp -d) && cp -r "$module/." "$src" && chmod -R u+w "$src"
  mkdir -p "$(dirname "$COMPOSE_BIN")"
  (cd "$src" && go build -o "$COMPOSE_BIN" ./cmd) >"$DOCKER_DIR/compose-build.log" 2>&1 \
    || { tail -n 20 "$DOCKER_DIR/compose-build.log" >&2; die "could not build Compose"; }
  rm -rf "$src"
}

case "${1:-}" in
  packages) packages ;;
  prepare)
    packages
    engine_up
    reserve_dtm_ports
    base_image
    compose_build
    ;;
  build)  # the images; compose reads the whole file, secrets included, though no image holds one
    BRANCH_SECRET=unused AUTH_SECRET=unused MYSQL_PASSWORD=unused bash "$0" compose build
    ;;
  compose)
    shift
    BASE="$BASE_IMAGE" exec "$COMPOSE_BIN" -f docker-compose.yml -f docker/host-network.yml "$@"
    ;;
  *) die "usage: scripts/docker.sh packages | prepare | build | compose ARGS" ;;
esac
