#!/usr/bin/env bash
# Builds the container image on this machine without a Docker daemon or an
# image registry, then starts the server from the image (unprivileged user,
# read-only root filesystem, secret key as a mounted file) in front of the
# local Clerk emulator and checks health and one upload.
#
#   deploy/build_image.sh            build + smoke test
#   IMAGE=name:tag deploy/build_image.sh
#   SMOKE_ONLY=1 deploy/build_image.sh   smoke-test an image built before
#
# - The Debian 12 base image is made with mmdebstrap and imported (no
#   registry is reachable here); it is reused once it exists.
# - Buildah builds deploy/Dockerfile with chroot isolation (no container
#   runtime, cgroups or user namespaces needed).
# - The smoke test runs the image's entrypoint with `buildah run` (chroot
#   isolation, host network) because this machine's kernel setup rejects
#   OCI runtimes (crun: cgroups in hybrid mode).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/clerk-user-image:dev}
BASE=localhost/debian:bookworm-slim
WORK=${IMAGE_WORK_DIR:-/var/tmp/clerk-user-image-build}
mkdir -p "$WORK"

bash tools/setup.sh image

log() { echo "== $*"; }

if ! podman image exists "$BASE"; then
  log "making the Debian 12 base image with mmdebstrap"
  mmdebstrap --variant=minbase --include=ca-certificates bookworm "$WORK/rootfs.tar" \
    "deb http://deb.debian.org/debian bookworm main" \
    "deb http://deb.debian.org/debian bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  podman import "$WORK/rootfs.tar" "$BASE"
  rm -f "$WORK/rootfs.tar"
fi

if [[ -z ${SMOKE_ONLY:-} ]]; then
  log "building $IMAGE"
  start=$(date +%s)
  buildah build --isolation=chroot --network=host --layers \
    --build-arg BASE_IMAGE="$BASE" -f deploy/Dockerfile -t "$IMAGE" .
  log "built in $(($(date +%s) - start)) s"
fi
log "image size: $(podman image inspect "$IMAGE" --format '{{.Size}}') bytes"

log "smoke test: the image against the local Clerk emulator"
bazel build //tools/clerk_emulator //client:user_image_cli
run="$WORK/run"
rm -rf "$run" && mkdir -p "$run/out"
key="sk_test_image_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"
# The one writable mount (the container's /tmp) also carries the key file.
printf '%s\n' "$key" > "$run/out/secret-key"
chmod 0444 "$run/out/secret-key" && chmod 0777 "$run/out"

container=""
mnt=""
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  pkill -f "^/usr/local/bin/user_image_server .*--port_file=/tmp/port" 2>/dev/null || true
  wait 2>/dev/null || true
  if [[ -n $mnt ]]; then umount "$mnt" 2>/dev/null || true; fi
  if [[ -n $container ]]; then buildah rm "$container" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

wait_for() {
  for _ in $(seq 1 300); do [[ -s $1 ]] && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2
  cat "$run"/*.log >&2 || true
  exit 1
}

CLERK_SECRET_KEY=$key bazel-bin/tools/clerk_emulator/clerk_emulator \
  --port=0 --port_file="$run/emulator.port" > "$run/emulator.log" 2>&1 &
pids+=($!)
wait_for "$run/emulator.port"

container=$(buildah from "$IMAGE")
# The root filesystem read-only, as in Kubernetes (readOnlyRootFilesystem).
mnt=$(buildah mount "$container")
# Buildah bind-mounts this file when it runs a command; it must exist first.
touch "$mnt/run/.containerenv"
mount --bind "$mnt" "$mnt" && mount -o remount,bind,ro "$mnt"
if buildah run --isolation=chroot "$container" -- /bin/touch /probe 2>/dev/null; then
  echo "the root filesystem is writable" >&2
  exit 1
fi
buildah run --isolation=chroot --network=host --user 10001:10001 \
  -v "$run/out:/tmp" "$container" -- \
  /usr/local/bin/user_image_server \
  --listen_address=127.0.0.1:0 --port_file=/tmp/port --allow_unauthenticated \
  --health_listen_address=127.0.0.1:0 --health_port_file=/tmp/health.port \
  --metrics_listen_address=127.0.0.1:0 \
  --clerk_secret_key_file=/tmp/secret-key \
  --clerk_api_url="http://127.0.0.1:$(cat "$run/emulator.port")" \
  > "$run/server.log" 2>&1 &
pids+=($!)
wait_for "$run/out/port"
wait_for "$run/out/health.port"

health=$(buf curl --protocol grpc --http2-prior-knowledge \
  "http://127.0.0.1:$(cat "$run/out/health.port")/grpc.health.v1.Health/Check")
grep -q '"SERVING"' <<<"$health" || { echo "health: $health" >&2; exit 1; }
log "health: SERVING"

user=bazel-bin/client/user_image_cli
$user upload --addr="127.0.0.1:$(cat "$run/out/port")" \
  --user=user_2NNEqL2nrIRdJ194ndJqAHwEfxC --file=tools/sample/avatar.png > "$run/user.json"
grep -q '"has_image": true' "$run/user.json" || { cat "$run/user.json" >&2; exit 1; }
log "upload through the image: OK (has_image: true)"
# A HEIC goes through the image's sandboxed libvips worker.
convert -size 640x480 gradient:red-blue -quality 50 "$run/photo.heic"
$user upload --addr="127.0.0.1:$(cat "$run/out/port")" \
  --user=user_2NNEqL2nrIRdJ194ndJqAHwEfxC --file="$run/photo.heic" > "$run/heic.json"
grep -q '"has_image": true' "$run/heic.json" || { cat "$run/heic.json" >&2; exit 1; }
log "HEIC converted through the image: OK"
if grep -q "$key" "$run/server.log"; then
  echo "the secret key appeared in the server's output" >&2
  exit 1
fi
log "image $IMAGE passed the smoke test"
