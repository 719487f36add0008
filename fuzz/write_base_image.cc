// write_base_image DIR: writes the bootstrap fuzz target's base data directory
// (bootstrap_image.h: a one-replica cluster's directory written by the replica on
// SimStorage) to DIR on the real file system, so tests of tools that read real
// directories (`sluice inspect`) start from the very directory the fuzz oracles know.
// DIR must not exist yet or be empty. Exit 0 written, 1 a write failed, 64 usage.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/bootstrap_image.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: write_base_image DIR\n");
    return 64;
  }
  const std::filesystem::path root = argv[1];
  std::error_code error;
  if (std::filesystem::exists(root) && !std::filesystem::is_empty(root)) {
    std::fprintf(stderr, "write_base_image: %s exists and is not empty\n", argv[1]);
    return 64;
  }
  const sluice::fuzz::bootstrap_image::BaseImage& base = sluice::fuzz::bootstrap_image::Base();
  std::filesystem::create_directories(root, error);
  for (const std::string& directory : base.directories) {
    if (!error) std::filesystem::create_directories(root / directory, error);
  }
  if (error) {
    std::fprintf(stderr, "write_base_image: %s\n", error.message().c_str());
    return 1;
  }
  for (const sluice::fuzz::bootstrap_image::BaseFile& file : base.files) {
    std::ofstream out(root / file.path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(file.contents.data()),
              static_cast<std::streamsize>(file.contents.size()));
    if (!out.good()) {
      std::fprintf(stderr, "write_base_image: writing %s failed\n", file.path.c_str());
      return 1;
    }
  }
  std::printf("wrote %zu files, %zu partitions under %s\n", base.files.size(), base.partitions.size(),
              argv[1]);
  return 0;
}
