#!/usr/bin/env bash
# The same seeds must give the same digests with g++ and with clang (DESIGN.md,
# "Determinism rules"). Runs the randomized storage workload for 1,000 seeds with
# each toolchain and compares every line.
set -euo pipefail
cd "$(dirname "$0")/.."
gcc_out=$(mktemp)
clang_out=$(mktemp)
trap 'rm -f "$gcc_out" "$clang_out"' EXIT
bazel run --noshow_progress //sim:storage_workload_main -- --seeds 0..999 >"$gcc_out"
bazel run --noshow_progress --config=clang //sim:storage_workload_main -- --seeds 0..999 >"$clang_out"
if ! cmp -s "$gcc_out" "$clang_out"; then
  echo "g++ and clang digests differ; first differences:"
  diff "$gcc_out" "$clang_out" | head -n 6
  exit 1
fi
echo "$(wc -l <"$gcc_out") seeds: g++ and clang digests identical"
