#!/usr/bin/env bash
# Checks that fuzz/corpus/ is what make_corpus writes today, so the seeds follow the
# formats. On failure, regenerate and check in:
#   bazel run //fuzz:make_corpus -- fuzz/corpus
set -euo pipefail
make_corpus="$1"
checked_in="$2"  # a file inside fuzz/corpus/ (its grandparent is fuzz/corpus)
corpus_dir="$(dirname "$(dirname "${checked_in}")")"
fresh="${TEST_TMPDIR:-$(mktemp -d)}/corpus"
"${make_corpus}" "${fresh}" >/dev/null
if ! diff -r "${fresh}" "${corpus_dir}"; then
  echo "fuzz/corpus/ is stale: run 'bazel run //fuzz:make_corpus -- fuzz/corpus' and check it in" >&2
  exit 1
fi
echo "fuzz/corpus/ matches make_corpus"
