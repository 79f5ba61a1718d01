#!/usr/bin/env bash
# Renders deploy/k8s with `kubectl kustomize` and checks the security, probe
# and lifecycle settings of the result (check_manifests.py).
set -euo pipefail
root="$TEST_SRCDIR/clerk_user_image"
# Runfiles are symlinks; kustomize wants the real directory.
dir=$(dirname "$(readlink -f "$root/deploy/k8s/kustomization.yaml")")
rendered="$TEST_TMPDIR/rendered.yaml"
kubectl kustomize "$dir" > "$rendered"
exec python3 "$root/tests/deploy/check_manifests.py" "$rendered"
