#!/usr/bin/env bash
# The tests that need matrix units (Dawn's subgroup matrices), on Mesa 26's lavapipe where a root for
# it exists (scripts/lavapipe/root.sh; otherwise each step says it is skipped): the prefill GEMM's
# kernel tests, then the engine against the float64 reference with the GPU's kernel variants, its
# prefill on the matrix units, for the formats the bench runs (the tiled GEMM's GPU schedule is
# checked in Chromium, e2e/engine.spec.ts).
set -euo pipefail
cd "$(dirname "$0")/../.."
run=scripts/lavapipe/run.sh
# Inside the root a missing feature is a failure, not a skip (a Dawn or Mesa that stopped offering it).
R1_REQUIRE_MATRIX_UNITS=1 bash "$run" node node_modules/vitest/vitest.mjs run test/gpu/gemm-subgroup-matrix.test.ts
bash "$run" node node_modules/tsx/dist/cli.mjs scripts/gpu/device.ts check --schedule gpu \
  --only '^(qwen2-gguf-q4_0|qwen2-gguf-q4_k_m|llama-gguf-f16|qwen2-safetensors-bf16|qwen2-safetensors-fp8-block|qwen3-safetensors-gptq-act)$'
