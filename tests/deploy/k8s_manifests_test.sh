#!/usr/bin/env bash
# Renders deploy/k8s and deploy/k8s/with-redis with `kubectl kustomize` and
# checks the security, probe, lifecycle and rate-limit settings of each
# result (check_manifests.py).
set -euo pipefail
root="$TEST_SRCDIR/clerk_user_image"
# Runfiles are symlinks; kustomize wants the real directories.
k8s=$(dirname "$(readlink -f "$root/deploy/k8s/kustomization.yaml")")
kubectl kustomize "$k8s" > "$TEST_TMPDIR/base.yaml"
python3 "$root/tests/deploy/check_manifests.py" "$TEST_TMPDIR/base.yaml"
kubectl kustomize "$k8s/with-redis" > "$TEST_TMPDIR/with-redis.yaml"
python3 "$root/tests/deploy/check_manifests.py" "$TEST_TMPDIR/with-redis.yaml" with-redis
