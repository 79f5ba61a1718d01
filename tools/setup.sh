#!/usr/bin/env bash
# Installs everything this project needs to build, test and run on Debian 12,
# idempotently: when every package is present it changes nothing and makes no
# network request. Run as root (or with sudo available).
set -euo pipefail

# Debian packages: toolchain, Bazel, the system libraries Bazel links through
# pkg-config, the .proto files of googleapis and gRPC health, and prometheus
# (for promtool, which checks the metrics endpoint in the tests).
DEBIAN_PACKAGES=(
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
  prometheus
)
# npm packages: buf (lint, breaking-change checks, `buf curl`).
BUF_VERSION=1.75.0

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
# npm, for buf: Debian's nodejs + npm unless a Node.js with npm is present
# (a NodeSource nodejs package ships npm itself and conflicts with Debian's).
if ! command -v npm >/dev/null 2>&1; then missing+=(nodejs npm); fi
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

if ! command -v buf >/dev/null 2>&1 || [[ $(buf --version 2>/dev/null) != "$BUF_VERSION" ]]; then
  echo "setup: installing buf $BUF_VERSION from npm"
  $SUDO npm install -g --no-fund --no-audit "@bufbuild/buf@${BUF_VERSION}" >/dev/null
fi
