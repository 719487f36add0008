// write_base_image DIR: writes the bootstrap fuzz target's base data directory
// (bootstrap_image.h: a one-replica cluster's directory written by the replica on
// SimStorage) to DIR on the real file system, so tests of tools that read real
// directories (`sluice inspect`) start from the very directory the fuzz oracles know.
// DIR must not exist yet or be empty. Exit 0 written, 1 a write failed, 64 usage.
#include <cstdio>
#include <filesystem>
#include <string>

#include "fuzz/bootstrap_image.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_base_image DIR\n");
    return 64;
  }
  const std::filesystem::path root = argv[1];
  if (std::filesystem::exists(root) && !std::filesystem::is_empty(root)) {
    std::fprintf(stderr, "write_base_image: %s exists and is not empty\n", argv[1]);
    return 64;
  }
  if (const absl::Status written = sluice::fuzz::bootstrap_image::WriteBase(argv[1]); !written.ok()) {
    std::fprintf(stderr, "write_base_image: %s\n", written.ToString().c_str());
    return 1;
  }
  const sluice::fuzz::bootstrap_image::BaseImage& base = sluice::fuzz::bootstrap_image::Base();
  std::printf("wrote %zu files, %zu partitions under %s\n", base.files.size(), base.partitions.size(),
              argv[1]);
  return 0;
}
