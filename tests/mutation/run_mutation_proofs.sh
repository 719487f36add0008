#!/usr/bin/env bash
# Mutation proofs (issue 7, BOOTSTRAP_CONTRACT.md): for each rule below, build the
# campaign with that rule's mutation compiled in and assert that the campaign reports
# a violation within a small seed budget, and that the seeds recorded in
# tests/mutation/README.md still catch it.
#
# A mutation is a `#ifdef SLUICE_MUTATION_<RULE>` block at the rule's decision point
# in production code, defined only here, for one source file
# (--per_file_copt=FILE@-DSLUICE_MUTATION_<RULE>), in an output tree of its own
# (--platform_suffix=mutation: bazel-out/k8-optmutation), so no product or default
# test build ever contains one and the default tree is never overwritten.
#
#   tests/mutation/run_mutation_proofs.sh            # every mutation
#   tests/mutation/run_mutation_proofs.sh B2 B7      # some of them
#   ./sluice test --mutations                        # the same, from the entry point
#
# Ends with "N passed, M failed" (a mutation passes when the campaign catches it).
set -uo pipefail
cd "$(dirname "$0")/../.."

readonly SEED_BUDGET=200  # seeds of the one-replica campaign per mutation (CI runs 1000)
readonly CLUSTER_SEED_BUDGET=200  # seeds of the 3-replica cluster campaign per mutation
readonly TREE=bazel-out/k8-optmutation/bin

# rule | source file with the #ifdef | what the mutation does | catching seeds (README.md)
# | catching seeds of the 3-replica cluster campaign (cluster_workload_main), when the
#   mutation is proven there too ("-": not observable there, README.md says why)
MUTATIONS=(
  "B2|core/partition/partition_recovery.cc|the index, not the log scan, says where the active segment ends|0 1 2|0 3 4"
  "B5|core/partition/partition_recovery.cc|a missing segment the state record lists is recreated empty|0 7 18|24 34 59"
  "B7|core/partition/partition_recovery.cc|a corrupt entry proven durable is cut like an uncertain tail (a cluster replica cuts it too)|7 8 13|3 5 7"
  "B4|core/vsr/replica.cc|a consensus group boots fresh-zero (log view 0, head and commit at its base)|0 8 14|0 1 2"
  "B16|core/metadata_store/metadata_recovery.cc|a cluster replica applies the verified WAL ops above the commit watermark at boot|0 1 2|-"
)

passed=0
failed=0
wanted=("$@")

bazel_mutation() {  # RULE FILE TARGET...
  local rule=$1 file=$2
  shift 2
  bazel build --noshow_progress --platform_suffix=mutation \
    "--per_file_copt=${file}@-DSLUICE_MUTATION_${rule}" "$@" >/tmp/sluice_mutation_build.$$ 2>&1 ||
    { cat /tmp/sluice_mutation_build.$$; rm -f /tmp/sluice_mutation_build.$$; return 1; }
  rm -f /tmp/sluice_mutation_build.$$
}

# The one-replica campaign must fail with a safety violation (exit 1) within the
# budget, and every recorded seed must fail on its own; with CLUSTER_SEEDS, so must
# the 3-replica cluster campaign (prove_cluster_campaign).
prove_campaign() {  # RULE FILE SEEDS CLUSTER_SEEDS
  local rule=$1 file=$2 seeds=$3 cluster_seeds=$4 output status seed
  local targets=(//sim:sluice_sim)
  [ "$cluster_seeds" != "-" ] && targets+=(//sim/replica_cluster:cluster_workload_main)
  bazel_mutation "$rule" "$file" "${targets[@]}" || return 1
  output=$("$TREE/sim/sluice_sim" --seeds "$SEED_BUDGET" 2>&1)
  status=$?
  if [ "$status" -ne 1 ]; then
    echo "  NOT CAUGHT: ./sluice sim --seeds $SEED_BUDGET exited $status with mutation $rule"
    echo "$output" | tail -n 3
    return 1
  fi
  echo "  caught: $(echo "$output" | tr '\r' '\n' | grep -E '^[0-9]+ seeds, ' | tail -n 1)"
  echo "  first: $(echo "$output" | grep -m 1 '^FAILED' | cut -c 1-300)"
  echo "  catching seeds in 0..$((SEED_BUDGET - 1)): $(echo "$output" | sed -n 's/^FAILED (safety) seed \([0-9]*\):.*/\1/p' | head -n 12 | tr '\n' ' ')"
  for seed in $seeds; do
    "$TREE/sim/sluice_sim" --seed "$seed" >/dev/null 2>&1
    status=$?
    if [ "$status" -ne 1 ]; then
      echo "  recorded seed $seed no longer catches $rule (exit $status)"
      return 1
    fi
  done
  echo "  recorded seeds $seeds each fail alone"
  [ "$cluster_seeds" = "-" ] || prove_cluster_campaign "$rule" "$cluster_seeds"
}

# The 3-replica cluster campaign (sim/replica_cluster/cluster_workload.h) must fail
# within its budget — a checker's violation (exit 1), or a replica's always-on
# assertion stopping it before it loses a committed op (abort, exit 134) — and every
# recorded seed alone. (Its runner prints a line per seed and stops at an abort.)
# The runner's promise check (ReplicaClusterOptions::check_promises: what B2, B4, B5
# and B7 protect) is on by default.
prove_cluster_campaign() {  # RULE SEEDS
  local rule=$1 seeds=$2 output status seed
  local campaign="$TREE/sim/replica_cluster/cluster_workload_main"
  output=$("$campaign" --seeds "0..$((CLUSTER_SEED_BUDGET - 1))" --replicas 3 2>&1)
  status=$?
  if [ "$status" -ne 1 ] && [ "$status" -ne 134 ]; then
    echo "  NOT CAUGHT: cluster_workload_main --seeds 0..$((CLUSTER_SEED_BUDGET - 1)) --replicas 3 exited $status with mutation $rule"
    echo "$output" | tail -n 2 | cut -c 1-300
    return 1
  fi
  echo "  caught by the 3-replica cluster campaign (exit $status): $(echo "$output" | grep -m 1 -oE 'assertion failed: .{0,160}|^[0-9]+ [0-9a-f]{32} [^p].{0,200}')"
  for seed in $seeds; do
    { "$campaign" --seeds "$seed..$seed" --replicas 3 >/dev/null 2>&1; } 2>/dev/null  # (no "Aborted" line)
    status=$?
    if [ "$status" -ne 1 ] && [ "$status" -ne 134 ]; then
      echo "  recorded cluster seed $seed no longer catches $rule (exit $status)"
      return 1
    fi
  done
  echo "  recorded cluster seeds $seeds each fail alone (cluster_workload_main --replicas 3)"
}

# The VSR randomized test (3/5 replicas on the in-memory group logs) must fail; with
# CLUSTER_SEEDS, so must the 3-replica cluster campaign (prove_cluster_campaign).
prove_vsr() {  # RULE FILE SEEDS CLUSTER_SEEDS
  local rule=$1 file=$2 seeds=$3 cluster_seeds=$4 output status seed
  local targets=(//tests/vsr:vsr_random_test)
  [ "$cluster_seeds" != "-" ] && targets+=(//sim/replica_cluster:cluster_workload_main)
  bazel_mutation "$rule" "$file" "${targets[@]}" || return 1
  output=$(VSR_SEEDS=$SEED_BUDGET "$TREE/tests/vsr/vsr_random_test" 2>&1)
  status=$?
  if [ "$status" -eq 0 ]; then
    echo "  NOT CAUGHT: vsr_random_test passed $SEED_BUDGET seeds with mutation $rule"
    return 1
  fi
  echo "  caught: $(echo "$output" | grep -m 1 -E 'safety violation|no convergence|Check failed|assertion failed' | cut -c 1-300)"
  # One seed alone also fails the test's totals (it expects more view changes than
  # seeds), so a recorded seed must fail with a violation, an assertion or no convergence.
  for seed in $seeds; do
    output=$(VSR_SEED=$seed "$TREE/tests/vsr/vsr_random_test" 2>&1)
    if ! grep -qE 'assertion failed|safety violation|no convergence' <<<"$output"; then
      echo "  recorded seed $seed no longer catches $rule"
      return 1
    fi
  done
  echo "  recorded seeds $seeds each fail alone"
  [ "$cluster_seeds" = "-" ] || prove_cluster_campaign "$rule" "$cluster_seeds"
}

# The replicated replica (B16): the directed test of an uncommitted delete on a
# crashed backup must fail, and so must the 3-replica campaign — a safety violation
# (exit 1) or the replica's always-on boot assertion (exit 4, a crash) — within the
# budget, and every recorded seed alone.
prove_cluster() {  # RULE FILE SEEDS
  local rule=$1 file=$2 seeds=$3 output status seed
  bazel_mutation "$rule" "$file" //sim:sluice_sim //tests/replica:cluster_replica_test || return 1
  if ("$TREE/tests/replica/cluster_replica_test" --gtest_filter="*_${rule}") >/dev/null 2>&1; then
    echo "  NOT CAUGHT: cluster_replica_test's ${rule} test passed with mutation $rule"
    return 1
  fi
  echo "  caught by cluster_replica_test's ${rule} test"
  output=$("$TREE/sim/sluice_sim" --seeds "$SEED_BUDGET" --replicas 3 2>&1)
  status=$?
  if [ "$status" -ne 1 ] && [ "$status" -ne 4 ]; then
    echo "  NOT CAUGHT: ./sluice sim --seeds $SEED_BUDGET --replicas 3 exited $status with mutation $rule"
    echo "$output" | tail -n 3
    return 1
  fi
  echo "  caught by the 3-replica campaign (exit $status): $(echo "$output" | grep -m 1 -oE 'assertion failed: .{0,160}|^FAILED.{0,200}')"
  for seed in $seeds; do
    "$TREE/sim/sluice_sim" --seed "$seed" --replicas 3 >/dev/null 2>&1
    status=$?
    if [ "$status" -ne 1 ] && [ "$status" -ne 4 ]; then
      echo "  recorded seed $seed no longer catches $rule (exit $status)"
      return 1
    fi
  done
  echo "  recorded seeds $seeds each fail alone (--replicas 3)"
}

for mutation in "${MUTATIONS[@]}"; do
  IFS='|' read -r rule file what seeds cluster_seeds <<<"$mutation"
  if [ ${#wanted[@]} -gt 0 ] && [[ " ${wanted[*]} " != *" $rule "* ]]; then continue; fi
  echo "=== mutation $rule ($file): $what"
  start=$(date +%s)
  case "$rule" in
    B4) prove_vsr "$rule" "$file" "$seeds" "$cluster_seeds" ;;
    B16) prove_cluster "$rule" "$file" "$seeds" ;;
    *) prove_campaign "$rule" "$file" "$seeds" "$cluster_seeds" ;;
  esac
  if [ $? -eq 0 ]; then
    passed=$((passed + 1))
    echo "  mutation $rule caught ($(( $(date +%s) - start )) s)"
  else
    failed=$((failed + 1))
    echo "  mutation $rule FAILED to be caught ($(( $(date +%s) - start )) s)"
  fi
done
echo "${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
