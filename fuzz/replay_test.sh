#!/usr/bin/env bash
# Replays a fuzz target's seed corpus: replay_test.sh <target> <inputs...>.
set -euo pipefail
exec "$@"
