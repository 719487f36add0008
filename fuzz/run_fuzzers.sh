#!/usr/bin/env bash
# Builds the libFuzzer targets (bazel --config=fuzz) and runs one or all of them for
# a fixed time each, starting from a scratch copy of the checked-in seed corpus.
#
#   fuzz/run_fuzzers.sh                       # every target, 60 s each
#   fuzz/run_fuzzers.sh segment_scan --seconds 300
#   fuzz/run_fuzzers.sh --seconds 20 --keep   # keep the work directory (grown corpora)
#
# TARGET is a name from `fuzz/run_fuzzers.sh --list` (with or without "_fuzzer").
# Prints, per target: executions per second, coverage (the final `cov:` edge count of
# libFuzzer's output), corpus growth and findings (crash-/leak-/timeout-/oom- files);
# for the recovery targets (journal_recovery, segment_scan, bootstrap) also how many
# inputs of the final corpus reach each named recovery decision (decision_counts).
# Exit status: 0 no findings, 1 a finding or a fuzzer that failed, 2 usage error.
# A finding's work directory is kept and printed; reproduce one with
#   bazel-bin-of-fuzz-config/fuzz/<target> <crash file>
# or replay it in any configuration by putting it under fuzz/regressions/<target>/
# (see fuzz/README.md). Set BAZEL to use another bazel binary.
set -euo pipefail

readonly TARGETS=(prepare_fuzzer batch_fuzzer superblock_fuzzer partition_records_fuzzer segment_scan_fuzzer
  journal_recovery_fuzzer metadata_codecs_fuzzer bootstrap_fuzzer client_frame_fuzzer)
# Targets whose inputs reach named recovery decisions (fuzz/decisions.h).
readonly DECISION_TARGETS=(segment_scan_fuzzer journal_recovery_fuzzer bootstrap_fuzzer)

# libFuzzer options of one target beyond the common ones. bootstrap_fuzzer: each input
# boots a whole data directory and touches tens of thousands of coverage features, so
# the entropic schedule's rare-feature bookkeeping (libFuzzer's default) took two
# thirds of the time; without it the target runs several times faster (README.md).
target_options() {
  case "$1" in
    bootstrap_fuzzer) echo "-entropic=0" ;;
    *) ;;
  esac
}

usage() {
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
}

seconds=60
keep=0
selected=()
while (($# > 0)); do
  case "$1" in
    --seconds) (($# >= 2)) || usage; seconds="$2"; shift 2 ;;
    --seconds=*) seconds="${1#--seconds=}"; shift ;;
    --keep) keep=1; shift ;;
    --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    -h|--help) usage ;;
    -*) echo "run_fuzzers: unknown option $1" >&2; usage ;;
    *)
      name="${1%_fuzzer}_fuzzer"
      if [[ " ${TARGETS[*]} " != *" ${name} "* ]]; then
        echo "run_fuzzers: unknown target $1 (known: ${TARGETS[*]})" >&2
        exit 2
      fi
      selected+=("${name}")
      shift
      ;;
  esac
done
[[ "${seconds}" =~ ^[1-9][0-9]*$ ]] || { echo "run_fuzzers: --seconds needs a positive integer" >&2; exit 2; }
((${#selected[@]} > 0)) || selected=("${TARGETS[@]}")

# Everything is relative to this script: fuzz/ inside the workspace.
fuzz_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
workspace="$(cd "${fuzz_dir}/.." && pwd)"
bazel="${BAZEL:-bazel}"

cd "${workspace}"
labels=()
for target in "${selected[@]}"; do labels+=("//fuzz:${target}"); done
echo "run_fuzzers: building ${selected[*]} with --config=fuzz" >&2
"${bazel}" build --config=fuzz "${labels[@]}" //fuzz:decision_counts
bin_dir="$("${bazel}" info --config=fuzz bazel-bin 2>/dev/null)"

work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-fuzz.XXXXXX")"
findings_total=0
failures=0
summary=()

for target in "${selected[@]}"; do
  binary="${bin_dir}/fuzz/${target}"
  corpus="${work}/${target}/corpus"
  artifacts="${work}/${target}/artifacts"
  log="${work}/${target}/fuzzer.log"
  mkdir -p "${corpus}" "${artifacts}"
  if [[ -d "${fuzz_dir}/corpus/${target}" ]]; then cp -R "${fuzz_dir}/corpus/${target}/." "${corpus}/"; fi
  if [[ -d "${fuzz_dir}/regressions/${target}" ]]; then cp -R "${fuzz_dir}/regressions/${target}/." "${corpus}/"; fi
  seeds="$(find "${corpus}" -type f | wc -l)"
  echo "run_fuzzers: ${target}: ${seconds} s from ${seeds} seeds (log ${log})" >&2

  status=0
  read -r -a extra <<<"$(target_options "${target}")"
  (cd "${work}/${target}" && "${binary}" -max_total_time="${seconds}" -print_final_stats=1 -timeout=25 \
      ${extra[@]+"${extra[@]}"} -artifact_prefix="${artifacts}/" "${corpus}") >"${log}" 2>&1 || status=$?

  execs_per_second="$(sed -n 's/^stat::average_exec_per_sec: *//p' "${log}" | tail -n 1)"
  executions="$(sed -n 's/^stat::number_of_executed_units: *//p' "${log}" | tail -n 1)"
  coverage="$(grep -o 'cov: [0-9]*' "${log}" | tail -n 1 | sed 's/cov: //')"
  units="$(find "${corpus}" -type f | wc -l)"
  mapfile -t found < <(find "${artifacts}" -type f | sort)

  line="$(printf '%-26s exec/s %-8s cov %-6s runs %-10s corpus %s -> %s  findings %d' "${target}" \
    "${execs_per_second:-?}" "${coverage:-?}" "${executions:-?}" "${seeds}" "${units}" "${#found[@]}")"
  summary+=("${line}")
  if ((${#found[@]} > 0)); then
    findings_total=$((findings_total + ${#found[@]}))
    for file in "${found[@]}"; do summary+=("    finding: ${file}"); done
    first_error="$(grep -m 1 -E 'ERROR: |assertion failed|deadly signal|Timeout|out-of-memory' "${log}" || true)"
    [[ -z "${first_error}" ]] || summary+=("    first error: ${first_error}")
    summary+=("    log: ${log}")
  elif ((status != 0)); then
    failures=$((failures + 1))
    summary+=("    the fuzzer exited ${status} without a finding; see ${log}")
  fi
  if [[ " ${DECISION_TARGETS[*]} " == *" ${target} "* ]] && ((${#found[@]} == 0)); then
    # Each line: a named recovery decision and how many inputs of the final corpus reach it.
    if counts="$("${bin_dir}/fuzz/decision_counts" "${target}" "${corpus}" 2>>"${log}")"; then
      summary+=("    decisions reached (inputs of the final corpus):")
      while IFS= read -r count_line; do summary+=("  ${count_line}"); done < <(tail -n +2 <<<"${counts}")
    else
      failures=$((failures + 1))
      summary+=("    decision_counts failed over the final corpus; see ${log}")
    fi
  fi
done

echo
echo "fuzz summary (${seconds} s per target):"
printf '%s\n' "${summary[@]}"
if ((findings_total > 0 || failures > 0 || keep == 1)); then
  echo "work directory kept: ${work}"
else
  rm -rf "${work}"
fi
if ((findings_total > 0 || failures > 0)); then
  echo "FAILED: ${findings_total} finding(s), ${failures} fuzzer failure(s)"
  exit 1
fi
echo "OK: no findings"
