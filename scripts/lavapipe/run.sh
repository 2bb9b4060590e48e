#!/usr/bin/env bash
# Runs a command from this repository on Mesa 26's lavapipe, in the root scripts/lavapipe/root.sh
# builds: the repository is mounted at the same path inside it, in a mount namespace of its own
# (nothing stays mounted afterwards), with that root's Node and Vulkan driver. Without the root (it
# needs root to build), says so and exits 0: these runs add to the tests, they do not replace any.
#
#   bash scripts/lavapipe/run.sh node node_modules/vitest/vitest.mjs run test/gpu/gemm-subgroup-matrix.test.ts
set -euo pipefail
ROOT=${R1_LAVAPIPE_ROOT:-/opt/r1-lavapipe}
REPO=$(cd "$(dirname "$0")/../.." && pwd)
if [ ! -e "$ROOT/usr/share/vulkan/icd.d/lvp_icd.json" ]; then
  echo "skipped on lavapipe: no root at $ROOT (sudo bash scripts/lavapipe/root.sh builds it): $*"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "skipped on lavapipe: running in $ROOT needs root: $*"; exit 0; }
cmd=$(printf '%q ' "$@")
exec unshare --mount --propagation private bash -c "
  set -e
  mount --bind /proc '$ROOT/proc'
  mount --bind /dev '$ROOT/dev'
  mkdir -p '$ROOT$REPO'
  mount --bind '$REPO' '$ROOT$REPO'
  exec chroot '$ROOT' env HOME=/tmp VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json bash -c 'cd $REPO && $cmd'
"
