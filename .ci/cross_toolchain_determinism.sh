#!/usr/bin/env bash
# The same seeds must give the same digests with g++ and with clang (DESIGN.md,
# "Determinism rules"). Runs the randomized storage, network and one-replica workloads
# for 1,000 seeds each, the VSR cluster on the real metadata WAL
# (sim/cluster/journal_cluster_run.h) for 200 and the replicated cluster workload
# (sim/replica_cluster/cluster_workload.h, 3 replicas) for 60, with both toolchains,
# and compares every line.
#
# No build of its own: the g++ binaries come from the default output tree (the gcc
# stage built them) and the clang ones from the asan stage's tree (`bazel test
# --config=asan //...` builds every target, these binaries included, with clang 14).
# The `bazel build` calls below only make sure they are up to date — a no-op after
# those stages, a build when this script runs alone. Sanitizers change no result, so
# an ASan/UBSan clang binary prints what a plain clang one would; a third (plain
# clang) build cost CI minutes and checked nothing more.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# workload binary and its seed range (every line of output is compared).
workloads=(
  "sim/storage_workload_main 0..999"
  "sim/sim_network_workload_main 0..999"
  "sim/replica_workload_main 0..999"
  "sim/cluster/journal_cluster_main 1..200"
  "sim/replica_cluster/cluster_workload_main 0..59"
)
targets=()
for entry in "${workloads[@]}"; do
  binary=${entry%% *}
  targets+=("//${binary%/*}:${binary##*/}")
done

# Builds (if needed) and prints the configuration's bazel-bin, Bazel's output on failure.
output_tree() {
  if ! bazel build --noshow_progress "$@" -- "${targets[@]}" >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    echo "build failed: bazel build $* ${targets[*]}" >&2
    return 1
  fi
  bazel info "$@" bazel-bin 2>/dev/null
}
gcc_tree=$(output_tree)
clang_tree=$(output_tree --config=asan)

# The clang binaries carry ASan + UBSan, which make the one-replica workload about
# four times slower than a plain clang build: the seeds run in one shard per core, on
# both sides. No allocation quarantine and no allocation stacks: hunting memory errors
# is the asan stage's job, and without them the runs take a third less time and far
# less memory.
export ASAN_OPTIONS=quarantine_size_mb=0:thread_local_quarantine_size_kb=0:malloc_context_size=0
shards=$(nproc)

# run_shards TREE BINARY FIRST LAST OUT: starts one background process per shard of
# the seed range FIRST..LAST, printing to OUT.0, OUT.1, ...; their pids go to `pids`.
run_shards() {
  local tree=$1 binary=$2 first=$3 last=$4 out=$5 shard begin end
  local count=$((last - first + 1))
  for ((shard = 0; shard < shards; ++shard)); do
    begin=$((first + count * shard / shards))
    end=$((first + count * (shard + 1) / shards - 1))
    [ "$end" -ge "$begin" ] || continue
    "$tree/$binary" --seeds "${begin}..${end}" >"$out.$shard" &
    pids+=($!)
  done
}

for entry in "${workloads[@]}"; do
  binary=${entry%% *}
  seeds=${entry#* }
  name=${binary##*/}
  first=${seeds%..*}
  last=${seeds#*..}
  rm -f "$work"/gcc.txt* "$work"/clang.txt*
  pids=()
  run_shards "$gcc_tree" "$binary" "$first" "$last" "$work/gcc.txt"
  run_shards "$clang_tree" "$binary" "$first" "$last" "$work/clang.txt"
  failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  if [ "$failed" -ne 0 ]; then
    echo "${name}: a run exited with an error (a seed violated an invariant, or a sanitizer report)"
    exit 1
  fi
  # Shards in seed order: every line is compared, in order.
  for ((shard = 0; shard < shards; ++shard)); do
    cat "$work/gcc.txt.$shard" >>"$work/gcc.txt" 2>/dev/null || true
    cat "$work/clang.txt.$shard" >>"$work/clang.txt" 2>/dev/null || true
  done
  # One line per seed, plus (cluster_workload_main) a summary line per shard, "N failed;
  # faults: …", which is compared too but not counted.
  lines=$(grep -cv -E '^[0-9]+ failed' "$work/gcc.txt")
  if [ "$lines" -ne $((last - first + 1)) ]; then
    echo "${name}: ${lines} lines for seeds ${seeds}: one line per seed expected"
    exit 1
  fi
  if ! cmp -s "$work/gcc.txt" "$work/clang.txt"; then
    echo "${name}: g++ and clang digests differ; first differences:"
    diff "$work/gcc.txt" "$work/clang.txt" | head -n 6
    exit 1
  fi
  echo "${name}: ${lines} seeds, g++ and clang digests identical"
done
