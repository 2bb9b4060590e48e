#!/usr/bin/env bash
# What the lent GPU machine runs (docs/gpu-machine.md): unpacks the kit that `npm run gpu:pack` left
# in .gpu/carry, checks the engine against the float64 reference on this GPU, then times it beside
# llama.cpp's Vulkan build on the same random-weight GGUF files. That machine has no Node, npm or
# network: everything comes from the kit. Logs and results go to $OUT (the device tool brings back
# at most 8 files): log.txt, info.json, check.jsonl, results.jsonl, summary.md
# (the bench table, then the token pick's and the decode GEMVs' own).
#
#   R1_GPU_PLAN=full|smoke  full (default): the real model shapes; smoke: the tiny shape, to try the
#                           kit on any machine (SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json)
#   R1_GPU_BUDGET_S=N       no bench starts after N seconds (default 420), so the summary always prints
set -uo pipefail
cd "$(dirname "$0")/../.."
START=$SECONDS
OUT=${OUT:-$PWD/.gpu/out}
mkdir -p "$OUT"
LOG=$OUT/log.txt
PLAN=${R1_GPU_PLAN:-full}
BUDGET=${R1_GPU_BUDGET_S:-420}
say() { echo "[$((SECONDS - START)) s] $*" | tee -a "$LOG"; }
fail() { say "stopped: $*"; exit 1; }
[ -d .gpu/carry ] || fail "no .gpu/carry: run npm run gpu:pack on a machine with npm, then carry .gpu/carry"

# The Vulkan loader, unless the machine has one (the device README's recipe).
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  for f in .gpu/carry/gl/*.deb; do dpkg -x "$f" / || fail "could not unpack $f"; done
  ldconfig
fi
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_ICD_FILENAMES:-}${VK_DRIVER_FILES:-}" ] && [ -e "$NVIDIA_ICD" ]; then export VK_DRIVER_FILES=$NVIDIA_ICD; fi
# Dawn warns on every start without it.
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp}

# xz where it exists, else Python's lzma (the GPU machine has Python; xz is not promised).
unxz_to() { xz -dc "$1" >"$2" 2>/dev/null || python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"; }
untar_xz() { tar -xJf "$1" 2>/dev/null || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(".")' "$1"; }
NODE=/tmp/r1-gpu/node
mkdir -p /tmp/r1-gpu
if [ ! -x "$NODE" ]; then unxz_to .gpu/carry/node.xz "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE" || fail "could not unpack node"; fi
untar_xz .gpu/carry/kit.tar.xz || fail "could not unpack the kit"
untar_xz .gpu/carry/llama-cpp.tar.xz || fail "could not unpack llama.cpp"
kit() { "$NODE" .gpu/kit/device.mjs "$@"; }
say "node $("$NODE" --version), kit unpacked"
kit verify 2>&1 | tee -a "$LOG" || fail "the kit does not match this tree"
kit info --record "$OUT/info.json" >/dev/null 2>>"$LOG" || fail "no WebGPU adapter through Dawn (log.txt has Dawn's words)"
say "adapter: $(sed -n 's/^ "adapter": "\(.*\)",$/\1/p' "$OUT/info.json")"
# The kit allows Dawn's unsafe APIs (scripts/lib/node-gpu.ts), so info.json lists the experimental
# features too: with chromium-experimental-subgroup-matrix the prefill runs on the tensor cores.
say "prefill GEMM: $(grep -q '"subgroupMatrix": {' "$OUT/info.json" && echo 'matrix units (subgroupMatrix in info.json)' || echo 'tiled f32 (no usable subgroup matrices)')"
grep -q '"isCpu": true' "$OUT/info.json" && say "warning: Dawn chose a CPU adapter; the figures below are not the GPU's"

if [ "$PLAN" = smoke ]; then
  MODELS=(tiny:q4_0)
  CHECK=(--only q4_0)
  BENCHES=("tiny-q4_0|--shape tiny --dtype q4_0 --prompt-lengths 16,32 --decode-tokens 4 --llama-cpp vulkan")
  GEMV=(--shape tiny --dtypes q4_0 --runs 3)
else
  MODELS=(qwen2-1.5b:q4_0 qwen2-1.5b:q4_k_m qwen2-7b:q4_0 llama-8b:q4_k_m qwen2-1.5b:fp8)
  CHECK=()
  GEMV=(--shape qwen2-1.5b --dtypes q4_0,q4_k,q6_k,q8_0,f16,iq3_s,iq2_xxs,q4ah_64,q4a_64,q3ah_64,q4z_128,f8e4m3_128)
  # Most important first: the budget may cut the tail.
  BENCHES=(
    "1.5b-q4_0|--shape qwen2-1.5b --dtype q4_0 --llama-cpp vulkan"
    "1.5b-q4_k_m|--shape qwen2-1.5b --dtype q4_k_m --llama-cpp vulkan"
    "7b-q4_0|--shape qwen2-7b --dtype q4_0 --llama-cpp vulkan"
    "8b-q4_k_m|--shape llama-8b --dtype q4_k_m --llama-cpp vulkan"
    "1.5b-fp8 (safetensors, no peer)|--shape qwen2-1.5b --dtype fp8"
    "1.5b-q4_0 tiled f32 GEMM|--shape qwen2-1.5b --dtype q4_0 --gemm tiled --prompt-lengths 512,2048"
    "1.5b-q4_0 matrix GEMM on one subgroup|--shape qwen2-1.5b --dtype q4_0 --matrix-grid 1 --prompt-lengths 512,2048"
    "1.5b-q4_0 prefill chunks of 512|--shape qwen2-1.5b --dtype q4_0 --prefill-chunk 512 --prompt-lengths 512,2048"
    "1.5b-q4_0 tiled f32 GEMM 64-wide|--shape qwen2-1.5b --dtype q4_0 --gemm tiled --gemm-tile 64 --prompt-lengths 512,2048"
    "1.5b-q4_0 one step at a time|--shape qwen2-1.5b --dtype q4_0 --serial-decode --prompt-lengths 2048"
    "1.5b-q4_0 attention unsplit|--shape qwen2-1.5b --dtype q4_0 --attention-splits 1 --prompt-lengths 2048"
    "1.5b-fp8 weight-only (activations not rounded)|--shape qwen2-1.5b --dtype fp8 --activation-rounding off --prompt-lengths 512"
  )
fi

# The GEMM on the tensor cores, kernel by kernel, where the adapter has them (the engine check below
# covers it only through logits).
kit gemm --record "$OUT/check.jsonl" >>"$LOG" 2>&1 || say "warning: the GEMM on matrix units failed its kernel check (log.txt)"
grep -E '^(gemm: |FAIL gemm)' "$LOG" | tail -3
# The bench models are written while the check runs (four processes share its cases).
say "writing ${MODELS[*]} while checking every format against the float64 reference"
pids=()
for m in "${MODELS[@]}"; do timeout 240 "$NODE" .gpu/kit/device.mjs models "$m" >>"$LOG" 2>&1 & pids+=($!); done
checks=()
for k in 1 2 3 4; do
  timeout 240 "$NODE" .gpu/kit/device.mjs check ${CHECK[@]+"${CHECK[@]}"} --shard "$k/4" --record "$OUT/check.jsonl" >>"$LOG" 2>&1 & checks+=($!)
done
check_failed=0
for p in "${checks[@]}"; do wait "$p" || check_failed=1; done
say "check: $(grep -c '^ok  ' "$LOG") cases agree with the reference, $(grep -c '^FAIL' "$LOG") fail"
grep '^FAIL' "$LOG"
[ "$check_failed" = 0 ] || say "warning: the check failed (above): speed figures of a wrong engine mean little"
for p in "${pids[@]}"; do wait "$p" || fail "a bench model could not be written (log.txt)"; done
say "models written"

for b in "${BENCHES[@]}"; do
  label=${b%%|*}
  args=${b#*|}
  if ((SECONDS - START > BUDGET)); then say "skipped $label: past the ${BUDGET} s budget"; continue; fi
  say "bench $label"
  # shellcheck disable=SC2086 # the argument list is meant to split
  timeout 300 "$NODE" .gpu/kit/device.mjs bench --label "$label" --record "$OUT/results.jsonl" $args >>"$LOG" 2>&1 || say "bench $label failed (exit $?, log.txt)"
done
kit summary "$OUT/results.jsonl" | tee "$OUT/summary.md"
say "the token pick alone (bench:sampler)"
{ echo; timeout 120 "$NODE" .gpu/kit/device.mjs sampler 2>>"$LOG" || echo "the sampler bench failed (log.txt)"; } | tee -a "$OUT/summary.md"
say "one layer's decode GEMVs alone (bench:gemv): each weight type's share of the copy bandwidth"
{ echo; timeout 120 "$NODE" .gpu/kit/device.mjs gemv "${GEMV[@]}" 2>>"$LOG" || echo "the GEMV bench failed (log.txt)"; } | tee -a "$OUT/summary.md"
say "done"

