// Runs every input of a corpus through a recovery target (with its oracles) and
// prints how many inputs reached each named recovery decision (decisions.h):
//
//   decision_counts [--require_all] TARGET FILE_OR_DIRECTORY...
//
// TARGET is journal_recovery, segment_scan or bootstrap (with or without "_fuzzer").
// Output:
//
//   journal_recovery_fuzzer: 31 inputs
//     verdict:valid: 28
//     ...
//     extra content:stale: 4      (reached, but not a required decision)
//
// With --require_all it exits 1 if a named decision was reached by no input (the
// test that the checked-in corpus reaches every decision; issue #9). `./sluice fuzz`
// runs it over each grown corpus. Exit 2 for a usage error or an unreadable input.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <system_error>
#include <vector>

#include "absl/strings/match.h"
#include "core/base/bytes.h"
#include "fuzz/bootstrap_target.h"
#include "fuzz/decisions.h"
#include "fuzz/journal_recovery_target.h"
#include "fuzz/segment_scan_target.h"

namespace sluice::fuzz {
namespace {

constexpr DecisionTarget kTargets[] = {kJournalRecoveryTarget, kSegmentScanTarget,
                                       kBootstrapTarget};

const DecisionTarget* FindTarget(std::string name) {
  if (!absl::EndsWith(name, "_fuzzer")) name += "_fuzzer";
  for (const DecisionTarget& target : kTargets) {
    if (name == target.name) return &target;
  }
  return nullptr;
}

// Files named directly, and every regular file under a named directory, sorted.
bool CollectInputs(const std::vector<std::string>& paths, std::vector<std::string>& inputs) {
  for (const std::string& argument : paths) {
    const std::filesystem::path path(argument);
    std::error_code error;
    if (!std::filesystem::is_directory(path, error)) {
      inputs.push_back(argument);
      continue;
    }
    std::vector<std::string> found;
    for (auto it = std::filesystem::recursive_directory_iterator(path, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file(error)) found.push_back(it->path().string());
    }
    if (error) {
      std::fprintf(stderr, "decision_counts: cannot list %s: %s\n", argument.c_str(),
                   error.message().c_str());
      return false;
    }
    std::sort(found.begin(), found.end());
    inputs.insert(inputs.end(), found.begin(), found.end());
  }
  return true;
}

bool ReadFile(const std::string& path, Bytes& contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return !file.bad();
}

int Usage() {
  std::fprintf(stderr,
               "usage: decision_counts [--require_all] TARGET FILE_OR_DIRECTORY...\n"
               "TARGET: journal_recovery, segment_scan or bootstrap\n");
  return 2;
}

int Main(int argc, char** argv) {
  std::vector<std::string> arguments(argv + 1, argv + argc);
  bool require_all = false;
  if (!arguments.empty() && arguments.front() == "--require_all") {
    require_all = true;
    arguments.erase(arguments.begin());
  }
  if (arguments.size() < 2) return Usage();
  const DecisionTarget* target = FindTarget(arguments.front());
  if (target == nullptr) return Usage();
  std::vector<std::string> inputs;
  if (!CollectInputs({arguments.begin() + 1, arguments.end()}, inputs)) return 2;

  const std::vector<std::string> names = target->named();
  const std::set<std::string> named(names.begin(), names.end());
  std::map<std::string, int> counts;
  for (const std::string& name : names) counts[name] = 0;
  Bytes contents;
  for (const std::string& input : inputs) {
    if (!ReadFile(input, contents)) {
      std::fprintf(stderr, "decision_counts: cannot read %s\n", input.c_str());
      return 2;
    }
    DecisionSet reached;
    target->run(contents, &reached);
    for (const std::string& decision : reached) ++counts[decision];
  }

  std::printf("%s: %zu inputs\n", target->name, inputs.size());
  std::vector<std::string> missing;
  for (const std::string& name : names) {
    std::printf("  %s: %d\n", name.c_str(), counts[name]);
    if (counts[name] == 0) missing.push_back(name);
  }
  for (const auto& [name, count] : counts) {
    if (!named.contains(name)) std::printf("  extra %s: %d\n", name.c_str(), count);
  }
  if (require_all && !missing.empty()) {
    for (const std::string& name : missing) {
      std::fprintf(stderr, "decision_counts: no input reaches %s\n", name.c_str());
    }
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace sluice::fuzz

int main(int argc, char** argv) { return sluice::fuzz::Main(argc, argv); }
