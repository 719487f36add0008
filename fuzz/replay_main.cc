// The main() a fuzz target links in every configuration except --config=fuzz (where
// libFuzzer provides main): it runs LLVMFuzzerTestOneInput once over each file named
// on the command line (a directory means every regular file under it), so
// `bazel test //fuzz/...` replays the checked-in corpora and regressions with the
// same oracles, under g++, clang and ASan/UBSan alike.
//
//   prepare_fuzzer fuzz/corpus/prepare_fuzzer/valid_send_messages another_file ...
//
// An oracle violation aborts the process (SLUICE_ASSERT), naming the condition; this
// program prints which input it was running first. Exits 1 if no input was given or
// a file could not be read, so an empty corpus cannot pass silently.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>& contents) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  contents.assign(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  return !file.bad();
}

// Files named directly, and every regular file under a named directory (sorted, so
// runs are reproducible).
bool CollectInputs(int argc, char** argv, std::vector<std::string>& inputs) {
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path path(argv[i]);
    std::error_code error;
    if (!std::filesystem::is_directory(path, error)) {
      inputs.push_back(path.string());
      continue;
    }
    std::vector<std::string> found;
    for (auto it = std::filesystem::recursive_directory_iterator(path, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      if (it->is_regular_file(error)) found.push_back(it->path().string());
    }
    if (error) {
      std::fprintf(stderr, "replay: cannot list %s: %s\n", argv[i], error.message().c_str());
      return false;
    }
    std::sort(found.begin(), found.end());
    inputs.insert(inputs.end(), found.begin(), found.end());
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> inputs;
  if (!CollectInputs(argc, argv, inputs)) return 1;
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs (usage: %s FILE_OR_DIRECTORY...)\n", argv[0]);
    return 1;
  }
  std::vector<uint8_t> contents;
  for (const std::string& input : inputs) {
    if (!ReadFile(input, contents)) {
      std::fprintf(stderr, "replay: cannot read %s\n", input.c_str());
      return 1;
    }
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", input.c_str(), contents.size());
    // An exactly sized heap copy, as libFuzzer passes it, so ASan sees any overread.
    std::vector<uint8_t> exact(contents.begin(), contents.end());
    LLVMFuzzerTestOneInput(exact.empty() ? nullptr : exact.data(), exact.size());
  }
  std::fprintf(stderr, "replay: %zu inputs passed\n", inputs.size());
  return 0;
}
