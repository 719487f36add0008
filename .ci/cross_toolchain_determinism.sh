#!/usr/bin/env bash
# The same seeds must give the same digests with g++ and with clang (DESIGN.md,
# "Determinism rules"). Runs the randomized storage, network and one-replica workloads for 1,000
# seeds each with both toolchains and compares every line.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for workload in storage_workload_main sim_network_workload_main replica_workload_main; do
  bazel run --noshow_progress "//sim:${workload}" -- --seeds 0..999 >"$work/gcc.txt"
  bazel run --noshow_progress --config=clang "//sim:${workload}" -- --seeds 0..999 >"$work/clang.txt"
  if ! cmp -s "$work/gcc.txt" "$work/clang.txt"; then
    echo "${workload}: g++ and clang digests differ; first differences:"
    diff "$work/gcc.txt" "$work/clang.txt" | head -n 6
    exit 1
  fi
  echo "${workload}: $(wc -l <"$work/gcc.txt") seeds, g++ and clang digests identical"
done
