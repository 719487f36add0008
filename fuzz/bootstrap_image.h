#pragma once
// The bootstrap target's base data directory: a one-replica cluster's whole data
// directory, written once per process by the replica itself (SingleNodeReplica on
// SimStorage: format, root user, streams, topics, partitions, message batches,
// consumer offsets, a clean restart, enough metadata ops that checkpoints ran and the
// WAL wrapped), then described for the mutations and the oracles:
//
//  - every file and directory (paths sorted), each file with its class and its
//    "units" (superblock copies, WAL header copies and prepares, state-record slots,
//    segment entries, index entries, ...), so the input can address structure;
//  - every partition: its identity, files, base state record, the entries of each
//    segment (position, op, commit, messages) and a fingerprint of each committed
//    message at its offset, as a clean boot of the base directory recovers them;
//  - the metadata: every op's state as the replica applied it (encoded), the
//    superblock's checkpoint and commit watermark, and each WAL slot's prepare.
//
// Layout of the workload (all sizes small, so one input's boots stay cheap):
//   WAL 16 slots x 4096 bytes; namespace widths 4/4/4.
//   stream 0 "alpha": topic 0 "big" (2 partitions, 1 MiB segments — the smallest
//     Iggy allows): partition 0 gets ~2.2 MiB in a few hundred messages (3 segments);
//     partition 1 a few dozen small messages;
//   stream 1 "beta": topic 0 "small" (1 partition, later +1 by CreatePartitions near
//     the end, so one partition's creating op is above the last checkpoint); a topic
//     created, written, deleted (its partition removed by the replica's deletion step)
//     and recreated under the same ids (a new incarnation).
//   Consumer offsets stored (and one deleted) on several partitions, before and after
//   a clean restart (so the offsets checkpoint is not empty and stores replay from
//   the log). Filler metadata ops (streams created, renamed and deleted) between the
//   sends make checkpoints run and the WAL wrap several times.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/bootstrap/single_node_bootstrap.h"
#include "core/io/task.h"
#include "core/partition/partition_log.h"
#include "core/partition/state_record.h"
#include "fuzz/bootstrap_program.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::fuzz::bootstrap_image {

inline constexpr absl::uint128 kBootCluster =
    absl::MakeUint128(0x5EED'C1A5'7E20'0001, 0x0000'0000'0000'B007);
inline constexpr uint64_t kWalSlots = 16;
inline constexpr uint64_t kWalMessageSizeMax = 4096;

// The boot options every boot of the target uses (the replica's own).
bootstrap::SingleNodeBootOptions BootOptions(bool clamp_consumer_offsets);

using bootstrap_program::FileClass;
using bootstrap_program::kFileClassCount;
const char* FileClassName(FileClass file_class);

// A structural piece of a file: [begin, begin + size).
struct Unit {
  uint64_t begin = 0;
  uint64_t size = 0;
};

// One entry of a base segment as written.
struct SegmentEntry {
  uint64_t position = 0;
  uint64_t size = 0;
  uint64_t op = 0;
  uint64_t commit = 0;
  uint64_t first_offset = 0;  // of its messages (or of the next message)
  uint32_t message_count = 0;
};

struct BaseFile {
  std::string path;
  FileClass file_class = FileClass::kOther;
  int partition = -1;  // index into BaseImage::partitions, or -1
  Bytes contents;
  std::vector<Unit> units;           // at least one
  std::vector<SegmentEntry> entries;  // kSegmentLog only
};

struct BasePartition {
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  uint64_t incarnation = 0;
  uint64_t namespace_id = 0;
  std::string directory;
  partition::StateRecord record;  // the newer valid slot
  int newer_slot = 0;             // which slot of partition.state holds it
  absl::uint128 anchor_parent = 0;
  // Per message offset: a fingerprint of the committed message (frame, offset and
  // timestamp), as a clean boot of the base recovers it.
  std::vector<absl::uint128> messages;
  std::map<std::pair<uint8_t, uint32_t>, uint64_t> consumer_offsets;  // (kind, id) -> offset
  std::vector<int> segment_files;  // indexes into BaseImage::files, in first-op order
  uint64_t last_op = 0;
};

struct BaseImage {
  std::vector<std::string> directories;  // sorted; parents before children
  std::vector<BaseFile> files;           // sorted by path
  std::vector<BasePartition> partitions;
  // Metadata: the encoded state after each op the replica applied (by op), the last
  // applied op, the superblock's checkpoint op and commit watermark.
  std::map<uint64_t, Bytes> states;
  uint64_t last_op = 0;
  uint64_t checkpoint_op = 0;
  uint64_t commit_watermark = 0;
  // Per WAL slot: the prepare it holds (empty if none).
  std::vector<Bytes> wal_prepares;

  // Files of one class, as indexes into `files` (sorted by path).
  std::vector<std::vector<int>> by_class;
  int FileIndex(const std::string& path) const;  // -1 if none
};

// Built on first use (a few hundred milliseconds), then shared.
const BaseImage& Base();

// Writes the base directory (its directories and files) under `directory` on the real
// file system, for tests and tools that read real directories.
absl::Status WriteBase(const std::string& directory);

// A message's fingerprint (what the oracles compare at each offset).
absl::uint128 MessageFingerprint(ByteSpan frame, uint64_t offset, uint64_t timestamp);

// One simulated machine (a loop and its storage, no random faults).
struct Machine {
  explicit Machine(uint64_t seed);

  // Runs `task` to completion; a task that does not finish within a bounded number
  // of loop events (a hang), or leaves the loop with nothing to run, is an oracle
  // failure.
  template <typename T>
  T Run(io::Task<T> task) {
    std::optional<T> result;
    io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
    RunUntil([&result] { return result.has_value(); });
    return std::move(*result);
  }
  void RunUntil(absl::FunctionRef<bool()> done);

  sim::SimLoop loop;
  sim::SimStorage storage;
};

// A partition log's committed messages, read back through its poll path.
struct PolledPartition {
  bool ok = true;            // every poll succeeded and every batch decoded
  std::string problem;       // why not
  uint64_t first_offset = 0;  // of the first message polled
  bool contiguous = true;     // offsets first_offset, first_offset + 1, ... in order
  std::vector<absl::uint128> messages;  // fingerprints, in offset order
};
PolledPartition PollEverything(Machine& machine, partition::PartitionLog& log);

}  // namespace sluice::fuzz::bootstrap_image
