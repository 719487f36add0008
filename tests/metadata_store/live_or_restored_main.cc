// One side of the "live vs restored, each in its own process" check (rule B6,
// DESIGN.md "Deterministic apply"). For a seed, the same random metadata op sequence:
//
//   --mode live --seed S --ops N
//       applies the ops in memory, no disk, and prints the encoded state's digest;
//   --mode write --seed S --ops N --image DIR
//       submits them one by one to a single node on the simulator's disk (a small
//       WAL ring, so checkpoints happen and the ring wraps), crashes the machine
//       losing every unsynced byte, and saves the disk under DIR;
//   --mode restore --image DIR
//       loads DIR into a fresh simulated disk, recovers (superblock → snapshot → WAL
//       replay) and prints the recovered state's digest, the checkpoint op it started
//       from and how many WAL ops it replayed.
//
// Output: "digest=<hex> op=<last applied op>" (restore adds "checkpoint=C replayed=R").
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/testing/random_ops.h"
#include "sim/disk_image.h"
#include "tests/metadata_store/store_fixture.h"

namespace sluice::metadata_store {
namespace {

using metadata::testing::OpSeed;

constexpr uint64_t kSlotCount = 8;

OpSeed NextSeed(base::Prng& prng) {
  OpSeed seed{static_cast<uint8_t>(prng.Next()), static_cast<uint8_t>(prng.Next()),
              static_cast<uint8_t>(prng.Next()), static_cast<uint8_t>(prng.Next())};
  // The garbage kind may name a non-metadata operation, which the store refuses
  // before preparing (there is no op to compare).
  if (metadata::testing::IsGarbage(seed)) seed.kind = 0;
  return seed;
}

std::string Digest(const metadata::MetadataState& state) {
  const absl::uint128 checksum = base::Checksum128(metadata::EncodeSnapshot(state).bytes);
  return absl::StrCat("digest=", absl::Hex(absl::Uint128High64(checksum), absl::kZeroPad16),
                      absl::Hex(absl::Uint128Low64(checksum), absl::kZeroPad16),
                      " op=", state.last_applied_op);
}

int Fail(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), status.ToString().c_str());
  return 1;
}

int Live(uint64_t seed, uint64_t ops) {
  metadata::testing::TestPrimary primary;
  metadata::testing::MetadataDriver driver(metadata::testing::SmallConfig());
  (void)driver.Run(wire::Operation::kCreateUser, metadata::testing::RootUserBody(primary));
  base::Prng prng(seed);
  for (uint64_t i = 0; i < ops; ++i) {
    (void)metadata::testing::ApplySeed(driver, primary, NextSeed(prng));
  }
  std::printf("%s\n", Digest(driver.state).c_str());
  return 0;
}

int Write(uint64_t seed, uint64_t ops, const std::string& image) {
  testing::StoreFixture fixture(seed, kSlotCount);
  fixture.FormatDisk();
  if (const absl::Status opened = fixture.Open(); !opened.ok()) return Fail("open", opened);
  const absl::Status root = fixture.Submit(wire::Operation::kCreateUser,
                                           metadata::testing::RootUserBody(fixture.primary_));
  if (!root.ok()) return Fail("root user", root);
  base::Prng prng(seed);
  for (uint64_t i = 0; i < ops; ++i) {
    absl::Status status = fixture.Drain();
    if (status.ok()) status = fixture.SubmitSeed(NextSeed(prng));
    if (!status.ok()) return Fail(absl::StrCat("op ", i + 2), status);
  }
  if (const absl::Status drained = fixture.Drain(); !drained.ok()) return Fail("drain", drained);
  fixture.CrashNow(base::Ratio::Never());
  const absl::Status saved = sim::SaveToDirectory(fixture.machine_.storage_.file_system(), image);
  if (!saved.ok()) {
    std::fprintf(stderr, "saving the disk image: %s\n", saved.ToString().c_str());
    return 1;
  }
  return 0;
}

int Restore(const std::string& image) {
  testing::StoreFixture fixture;
  const absl::Status loaded =
      sim::LoadFromDirectory(image, fixture.machine_.storage_.file_system());
  if (!loaded.ok()) {
    std::fprintf(stderr, "loading the disk image: %s\n", loaded.ToString().c_str());
    return 1;
  }
  fixture.options_.journal.slot_count = kSlotCount;
  MetadataRecoveryOptions options{.identity = fixture.options_.identity,
                                  .journal = fixture.options_.journal,
                                  .single_node = true};
  absl::StatusOr<RecoveredMetadata> recovered =
      fixture.machine_.Run(RecoverMetadata(fixture.machine_.interrupting_, options));
  if (!recovered.ok()) {
    std::fprintf(stderr, "recovery: %s\n", recovered.status().ToString().c_str());
    return 1;
  }
  // A single node commits what recovery left unapplied (its own durable WAL).
  for (const journal::RecoveredEntry& entry : recovered->unapplied) {
    (void)metadata::Apply(recovered->state,
                          {.op = entry.header.op,
                           .operation = entry.header.operation,
                           .timestamp_us = entry.header.timestamp,
                           .client = entry.header.client,
                           .request = entry.header.request},
                          ByteSpan(entry.frame).subspan(wire::kHeaderSize));
  }
  std::printf("%s checkpoint=%llu replayed=%zu\n", Digest(recovered->state).c_str(),
              static_cast<unsigned long long>(recovered->superblock.state.metadata_checkpoint.op),
              recovered->journal_report.to_apply.size() + recovered->unapplied.size());
  return fixture.machine_.Run(recovered->journal->Close()).ok() ? 0 : 1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: live_or_restored --mode live --seed S --ops N\n"
               "       live_or_restored --mode write --seed S --ops N --image DIR\n"
               "       live_or_restored --mode restore --image DIR\n");
  return 2;
}

}  // namespace
}  // namespace sluice::metadata_store

int main(int argc, char** argv) {
  using namespace sluice::metadata_store;
  std::string mode;
  std::string image;
  uint64_t seed = 1;
  uint64_t ops = 100;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--mode") {
      mode = value;
    } else if (flag == "--image") {
      image = value;
    } else if (flag == "--seed") {
      if (!absl::SimpleAtoi(value, &seed)) return Usage();
    } else if (flag == "--ops") {
      if (!absl::SimpleAtoi(value, &ops)) return Usage();
    } else {
      return Usage();
    }
  }
  if (argc % 2 == 0) return Usage();
  if (mode == "live") return Live(seed, ops);
  if (mode == "write" && !image.empty()) return Write(seed, ops, image);
  if (mode == "restore" && !image.empty()) return Restore(image);
  return Usage();
}
