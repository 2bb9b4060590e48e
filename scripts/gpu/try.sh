#!/usr/bin/env bash
# Runs scripts/gpu/run.sh here as the GPU machine would: in a fresh copy of what a device call sends
# (the tree's tracked and untracked-but-not-ignored files, plus .gpu/carry), no node_modules, on
# SwiftShader and the smoke plan unless the environment says otherwise. Run `npm run gpu:pack` first.
#   bash scripts/gpu/try.sh [DIR]    DIR: where the copy goes (default: a new temporary folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -d .gpu/carry ] || { echo "no .gpu/carry: run npm run gpu:pack first" >&2; exit 1; }
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dir"
mkdir -p "$dir/.gpu" && cp -r .gpu/carry "$dir/.gpu/"
echo "copy of the device call's tree in $dir" >&2
cd "$dir"
export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
R1_GPU_PLAN=${R1_GPU_PLAN:-smoke} OUT=${OUT:-$dir/out} exec bash scripts/gpu/run.sh
