#!/usr/bin/env bash
# Builds a Debian unstable root with Mesa 26's lavapipe, the one CPU Vulkan driver that offers
# cooperative matrices (Dawn's chromium-experimental-subgroup-matrix): the prefill GEMM's tensor-core
# path can then be tested on a machine without a GPU (scripts/lavapipe/run.sh). Debian 12's own Mesa
# is too old, and unstable's needs a newer C library than the host's, hence a root of its own.
# Needs root and Debian's mirror; takes about a minute and 560 MB. Does nothing if the root exists.
# It takes what unstable has on the day (Mesa 26.2.6 and Node 24.22 when this was written): the
# mirror's snapshot service, which could pin a date, is out of reach here.
#
#   R1_LAVAPIPE_ROOT=DIR   where the root goes (default /opt/r1-lavapipe)
set -euo pipefail
ROOT=${R1_LAVAPIPE_ROOT:-/opt/r1-lavapipe}
ICD=$ROOT/usr/share/vulkan/icd.d/lvp_icd.json
if [ -e "$ICD" ] && [ -x "$ROOT/usr/bin/node" ]; then echo "lavapipe root: $ROOT (exists)"; exit 0; fi
[ "$(id -u)" = 0 ] || { echo "lavapipe root: building $ROOT needs root" >&2; exit 1; }
if ! command -v mmdebstrap >/dev/null; then
  apt-get update -qq && apt-get install -y -qq mmdebstrap >/dev/null
fi
[ ! -e "$ROOT" ] || { echo "lavapipe root: $ROOT exists but has no lavapipe or Node: remove it first" >&2; exit 1; }
rm -rf "$ROOT.tmp"
# The mirror's unstable index can be past its Valid-Until date: its packages are still the ones wanted.
mmdebstrap --quiet --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
  --include=mesa-vulkan-drivers,libvulkan1,nodejs unstable "$ROOT.tmp" http://deb.debian.org/debian
mv -T "$ROOT.tmp" "$ROOT"
echo "lavapipe root: $ROOT ($(du -sh "$ROOT" | cut -f1))"
