#!/bin/bash
# Runs a command (e.g. upload_load_bench) in a new network namespace of its
# own whose loopback acknowledges every TCP segment at once (the `quickack`
# route attribute), then removes the namespace with the command's exit.
#
# Why: the Clerk emulator (cpp-httplib) writes a response's headers and body
# with two send() calls on a socket without TCP_NODELAY. On a reused
# connection Nagle holds the body until the headers are acknowledged, and
# the client delays that acknowledgement by up to 40 ms, so every request
# but a connection's first waits about 40 ms. That stall belongs to neither
# the service nor Clerk; see docs/benchmarks.md. Nothing outside the
# namespace is changed, and the namespace reaches no network but loopback.
#
# Needs root (unshare --net). Bazel cannot run inside (its client reaches
# its server over loopback): build first, then run the binary.
#
#   tools/bench/netns_quickack.sh bazel-bin/tools/bench/upload_load_bench ...

set -euo pipefail

if [[ "${1:-}" != "--inside" ]]; then
  exec unshare --net -- "$0" --inside "$@"
fi
shift
ip link set lo up
for route in 127.0.0.0/8 127.0.0.1; do
  ip route change local "${route}" dev lo proto kernel scope host \
    src 127.0.0.1 quickack 1 table local
done
exec "$@"
