#!/usr/bin/env bash
# Runs a command from this repository on Mesa 26's lavapipe, in the root scripts/lavapipe/root.sh
# builds: the repository is mounted at the same path inside it, in a mount namespace of its own
# (nothing stays mounted afterwards), with that root's Node and Vulkan driver. Under sudo the command
# runs as the user who called sudo, so files it writes in the repository stay theirs. Without the
# root, or without root rights, it says the command is skipped and exits 0: these runs add to the
# tests, they replace none.
#
#   bash scripts/lavapipe/run.sh node node_modules/vitest/vitest.mjs run test/gpu/gemm-subgroup-matrix.test.ts
set -euo pipefail
ROOT=${R1_LAVAPIPE_ROOT:-/opt/r1-lavapipe}
SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
REPO=$(cd "$(dirname "$SELF")/../.." && pwd)

if [ "${1:-}" = --in-namespace ]; then
  shift
  mount --bind /proc "$ROOT/proc"
  mount --rbind /dev "$ROOT/dev"
  mkdir -p "$ROOT$REPO"
  mount --bind "$REPO" "$ROOT$REPO"
  user=()
  if [ -n "${SUDO_UID:-}" ]; then user=(--userspec="$SUDO_UID:${SUDO_GID:-$SUDO_UID}"); fi
  exec chroot "${user[@]}" "$ROOT" env HOME=/tmp VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json \
    sh -c 'cd "$1" && shift && exec "$@"' sh "$REPO" "$@"
fi

if [ ! -e "$ROOT/usr/share/vulkan/icd.d/lvp_icd.json" ]; then
  echo "skipped on lavapipe: no root at $ROOT (sudo bash scripts/lavapipe/root.sh builds it): $*"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "skipped on lavapipe: running in $ROOT needs root (sudo): $*"
  exit 0
fi
exec unshare --mount --propagation private bash "$SELF" --in-namespace "$@"
