#!/usr/bin/env bash
# Installs what this project needs on Debian 12, idempotently: when every
# package is present it changes nothing and makes no network request. Run as
# root (or with sudo available).
#
#   tools/setup.sh          build, test and run (the default)
#   tools/setup.sh build    only what building the server needs (the
#                           container image's build stage uses this)
#   tools/setup.sh image    also podman, buildah and mmdebstrap, for
#                           deploy/build_image.sh
#   tools/setup.sh profile  also the profilers docs/benchmarks.md uses
set -euo pipefail
MODE=${1:-all}

# Debian packages for building: toolchain, Bazel, the system libraries Bazel
# links through pkg-config, the .proto files of googleapis and gRPC health.
BUILD_PACKAGES=(
  bazel-bootstrap
  g++
  pkg-config
  protobuf-compiler
  protobuf-compiler-grpc
  libprotobuf-dev
  libgrpc++-dev
  libabsl-dev
  libcurl4-openssl-dev
  libssl-dev
  libgtest-dev
  libgmock-dev
  libcpp-httplib-dev
  grpc-proto
  golang-github-gogo-googleapis-dev
  prometheus-cpp-dev
  libhiredis-dev
  libevent-dev
  libgoogle-perftools-dev
  libvips-dev
  libheif-dev
  libseccomp-dev
  rapidjson-dev
)
# For the tests: promtool checks the metrics endpoint; python3-yaml reads the
# rendered Kubernetes manifests; openssl makes throwaway CAs for the TLS tests;
# redis-server backs the shared rate-limit tests; clang-format checks the
# C++ formatting; ImageMagick and exiftool make the HEIC/AVIF test photos.
TEST_PACKAGES=(prometheus python3-yaml openssl imagemagick libimage-exiftool-perl clang
  libclang-rt-14-dev redis-server clang-format)
# For deploy/build_image.sh.
IMAGE_PACKAGES=(podman buildah mmdebstrap)
# For profiling the server (docs/benchmarks.md): perf, strace, gperftools'
# heap profiler (libtcmalloc.so, google-pprof) and jemalloc's (jeprof).
PROFILE_PACKAGES=(linux-perf strace google-perftools libjemalloc-dev)

case $MODE in
  build) DEBIAN_PACKAGES=("${BUILD_PACKAGES[@]}") ;;
  all) DEBIAN_PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
  image) DEBIAN_PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${IMAGE_PACKAGES[@]}") ;;
  profile) DEBIAN_PACKAGES=("${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${PROFILE_PACKAGES[@]}") ;;
  *) echo "usage: $0 [build|image|profile]" >&2; exit 2 ;;
esac
# npm packages: buf (lint, breaking-change checks, `buf curl`).
BUF_VERSION=1.75.0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
# npm, for buf: Debian's nodejs + npm unless a Node.js with npm is present
# (a NodeSource nodejs package ships npm itself and conflicts with Debian's).
if [[ $MODE != build ]] && ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
# kubectl (for `kubectl kustomize`): Debian's kubernetes-client unless one is
# present.
if [[ $MODE != build ]] && ! command -v kubectl >/dev/null 2>&1; then
  missing+=(kubernetes-client)
fi
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ $MODE == build ]]; then exit 0; fi
if ! command -v buf >/dev/null 2>&1 || [[ $(buf --version 2>/dev/null) != "$BUF_VERSION" ]]; then
  echo "setup: installing buf $BUF_VERSION from npm"
  $SUDO npm install -g --no-fund --no-audit "@bufbuild/buf@${BUF_VERSION}" >/dev/null
fi
