#!/usr/bin/env bash
# Quick start: installs what is missing, builds, starts the local Clerk
# emulator and the UserImageService wired to it, prints ready-to-paste calls,
# and serves until Ctrl-C. No Clerk account needed.
#
#   tools/dev_up.sh [--port 50051]
set -euo pipefail
cd "$(dirname "$0")/.."

GRPC_PORT=50051
if [[ ${1:-} == --port ]]; then GRPC_PORT=$2; fi

bash tools/setup.sh
bazel build //server:user_image_server //tools/clerk_emulator:clerk_emulator //client:user_image_cli

run_dir=$(mktemp -d /tmp/user-image-dev.XXXXXX)
# A throwaway key shared by the emulator and the server; never a real one.
dev_key="sk_test_dev_$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_for_port_file() {
  for _ in $(seq 1 200); do
    [[ -s $1 ]] && return 0
    sleep 0.05
  done
  echo "timed out waiting for $1; logs are in $run_dir" >&2
  exit 1
}

CLERK_SECRET_KEY=$dev_key bazel-bin/tools/clerk_emulator/clerk_emulator \
  --port=0 --port_file="$run_dir/emulator.port" >"$run_dir/emulator.log" 2>&1 &
pids+=($!)
wait_for_port_file "$run_dir/emulator.port"
emulator_url="http://127.0.0.1:$(cat "$run_dir/emulator.port")"

CLERK_SECRET_KEY=$dev_key bazel-bin/server/user_image_server \
  --listen_address="127.0.0.1:${GRPC_PORT}" --port_file="$run_dir/server.port" \
  --allow_unauthenticated \
  --clerk_api_url="$emulator_url" \
  --metrics_listen_address=127.0.0.1:0 --metrics_port_file="$run_dir/metrics.port" \
  >"$run_dir/server.log" 2>&1 &
pids+=($!)
wait_for_port_file "$run_dir/server.port"

user=user_2NNEqL2nrIRdJ194ndJqAHwEfxC
image=$PWD/tools/sample/avatar.png
addr=127.0.0.1:${GRPC_PORT}
cat <<MSG

UserImageService is serving on $addr (plaintext, reflection on,
ANONYMOUS CALLERS ALLOWED: --allow_unauthenticated, for development on loopback only),
in front of the local Clerk emulator at $emulator_url.
Logs: $run_dir/server.log and $run_dir/emulator.log

Upload with the CLI (streams the file in chunks, prints the User as JSON):
  bazel-bin/client/user_image_cli upload --addr=$addr --user=$user --file=$image

Upload with buf curl (installed by the setup; uses server reflection):
  printf '{"metadata":{"user_id":"%s","filename":"avatar.png"}}{"chunk":"%s"}' $user "\$(base64 -w0 $image)" | \\
    buf curl --protocol grpc --http2-prior-knowledge -d @- http://$addr/clerk.userimage.v1.UserImageService/UploadProfileImage

Upload with grpcurl (if you have it):
  printf '{"metadata":{"user_id":"%s","filename":"avatar.png"}}{"chunk":"%s"}' $user "\$(base64 -w0 $image)" | \\
    grpcurl -plaintext -d @ $addr clerk.userimage.v1.UserImageService/UploadProfileImage

What the emulator received:    curl -s $emulator_url/_emulator/requests
Prometheus metrics:            curl -s http://127.0.0.1:$(cat "$run_dir/metrics.port")/metrics
List the services:             buf curl --protocol grpc --http2-prior-knowledge --list-methods http://$addr
Health:                        buf curl --protocol grpc --http2-prior-knowledge http://$addr/grpc.health.v1.Health/Check
Remove the image:              bazel-bin/client/user_image_cli delete --addr=$addr --user=$user

Press Ctrl-C to stop.
MSG
wait -n "${pids[@]}"
echo "a process exited; see the logs in $run_dir" >&2
