// The bootstrap target's base data directory (bootstrap_image.h): written by the
// replica itself on SimStorage, then described for the mutations and the oracles.
#include "fuzz/bootstrap_image.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "core/journal/journal_layout.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata/state_codec.h"
#include "core/metadata_store/format_metadata.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/entry_body.h"
#include "core/partition/layout.h"
#include "core/partition/segment_index.h"
#include "core/partition/segment_scan.h"
#include "core/replica/single_node_replica.h"
#include "core/superblock/superblock_format.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "core/wire/header.h"

namespace sluice::fuzz::bootstrap_image {
namespace {

using metadata::Identifier;
using wire::Operation;

// A boot that runs this many loop events has hung (a clean boot of the base runs a
// few thousand).
constexpr uint64_t kEventsMax = 2'000'000;
const metadata::NamespaceWidths kWidths{.stream_bits = 4, .topic_bits = 4, .partition_bits = 4};
constexpr uint64_t kBigSegmentBytes = 64 * 1024;  // partition 0/0/0's roll size
constexpr uint64_t kBaseSeed = 0xB007;

void Check(const absl::Status& status, absl::string_view what) {
  SLUICE_ASSERT(status.ok(), "building the bootstrap base: ", what, ": ", status.ToString());
}

replica::SingleNodeReplicaOptions ReplicaOptions() {
  replica::SingleNodeReplicaOptions options;
  options.boot = BootOptions(false);
  options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
  return options;
}

// The workload that writes the base directory.
class Writer {
 public:
  Writer() : machine_(kBaseSeed), prng_(kBaseSeed) {}

  void Run() {
    Format();
    Open();
    // Streams and topics.
    Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"alpha"}));
    Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"beta"}));
    metadata::CreateTopicBody big{.stream = Identifier::Numeric(0), .partitions_count = 2,
                                  .name = "big"};
    big.settings.segment_size_bytes = metadata::kSegmentSizeMin;
    Metadata(Operation::kCreateTopic, metadata::Encode(big));
    big_incarnation_ = IncarnationOf(0, 0, 0);
    Metadata(Operation::kCreateTopic,
             metadata::Encode(metadata::CreateTopicBody{
                 .stream = Identifier::Numeric(1), .partitions_count = 1, .name = "small"}));
    // A topic created, written, deleted and recreated under the same ids.
    Metadata(Operation::kCreateTopic,
             metadata::Encode(metadata::CreateTopicBody{
                 .stream = Identifier::Numeric(1), .partitions_count = 1, .name = "temp"}));
    for (int i = 0; i < 5; ++i) Send(1, 1, 0, 1, 200);
    Metadata(Operation::kDeleteTopic,
             metadata::Encode(metadata::TopicBody{Identifier::Numeric(1), Identifier::Numeric(1)}));
    Metadata(Operation::kCreateTopic,
             metadata::Encode(metadata::CreateTopicBody{
                 .stream = Identifier::Numeric(1), .partitions_count = 1, .name = "again"}));

    // Messages, with filler metadata ops in between (checkpoints, WAL wrap).
    for (int round = 0; round < 6; ++round) {
      SendRound(round);
      Filler(round);
      if (round == 2) StoreOffsets(/*late=*/false);
    }
    Close();
    WriteBigPartition(/*batches=*/60, /*store_offset=*/false);
    Open();  // a clean restart: every partition recovered, offsets checkpointed
    for (int round = 6; round < 12; ++round) {
      SendRound(round);
      Filler(round);
    }
    StoreOffsets(/*late=*/true);
    // A partition created by an op the last checkpoint does not cover.
    Metadata(Operation::kCreatePartitions,
             metadata::Encode(metadata::PartitionsBody{Identifier::Numeric(1),
                                                       Identifier::Numeric(0), 1}));
    for (int i = 0; i < 6; ++i) Send(1, 0, 1, 1, 300);
    Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"last"}));
    Close();
    // The big partition's last writes: a roll, then a few entries and a store the
    // offsets checkpoint does not hold (so its newer state-record slot is the roll's).
    WriteBigPartition(/*batches=*/70, /*store_offset=*/true);
  }

  BaseImage Finish() && {
    // What a clean stop leaves (the process exited after Close(); the page cache,
    // with the unsynced index tails, is what the disk holds once written back).
    std::vector<sim::TreeEntry> tree = machine_.storage.file_system().Tree();
    for (sim::TreeEntry& entry : tree) {
      if (entry.is_directory) {
        image_.directories.push_back(entry.path);
      } else {
        image_.files.push_back({.path = entry.path, .contents = std::move(entry.contents)});
      }
    }
    return std::move(image_);
  }

 private:
  void Format() {
    metadata_store::MetadataFormat format;
    format.identity.cluster_id = kBootCluster;
    format.identity.replica_count = 1;
    format.identity.namespace_widths = kWidths;
    format.journal = BootOptions(false).metadata.journal;
    format.config.widths = kWidths;
    Check(machine_.Run(metadata_store::FormatMetadata(machine_.storage, format)), "format");
  }

  void Open() {
    uint8_t salt = 0;
    absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>> opened =
        machine_.Run(replica::SingleNodeReplica::Open(machine_.storage, ReplicaOptions(), [&salt] {
          return Bytes(metadata::kPasswordSaltBytes, ++salt);
        }));
    Check(opened.status(), "opening the replica");
    replica_ = *std::move(opened);
    RecordState();
  }

  void Close() {
    Check(machine_.Run(replica_->Drain()), "draining");
    RecordState();
    Check(machine_.Run(replica_->Close()), "closing");
    replica_.reset();
    machine_.storage.RestartProcess();
  }

  void Restart() {
    Close();
    Open();
  }

  void RecordState() {
    const metadata::MetadataState& state = replica_->metadata();
    image_.states[state.last_applied_op] = metadata::EncodeState(state);
  }

  uint64_t Now() const { return machine_.loop.RealtimeNs() / 1000; }

  void Metadata(Operation operation, Bytes body) {
    std::optional<absl::StatusOr<metadata::ApplyResult>> reply;
    Check(replica_->SubmitMetadata(
              {.operation = operation, .body = std::move(body), .timestamp_us = Now()},
              [&reply](absl::StatusOr<metadata::ApplyResult> result) { reply = std::move(result); }),
          "submitting a metadata op");
    machine_.RunUntil([&reply] { return reply.has_value(); });
    Check(reply->status(), "a metadata op");
    SLUICE_ASSERT((*reply)->ok(), "building the bootstrap base: metadata op ",
                  static_cast<int>(operation), " failed with error ",
                  static_cast<int>((*reply)->error));
    Check(machine_.Run(replica_->Drain()), "draining a metadata op");
    RecordState();
  }

  uint64_t NamespaceOf(uint32_t stream, uint32_t topic, uint32_t partition) const {
    return *metadata::PackNamespace(kWidths, {stream, topic, partition});
  }
  uint64_t IncarnationOf(uint32_t stream, uint32_t topic, uint32_t partition) const {
    return replica_->metadata().streams.at(stream).topics.at(topic).partitions.at(partition)
        .incarnation;
  }

  void Partition(uint32_t stream, uint32_t topic, uint32_t partition, Operation operation,
                 ByteSpan body) {
    std::optional<absl::StatusOr<uint64_t>> reply;
    Check(replica_->SubmitPartition(NamespaceOf(stream, topic, partition),
                                    IncarnationOf(stream, topic, partition), operation, body,
                                    Now(),
                                    [&reply](absl::StatusOr<uint64_t> op) { reply = std::move(op); }),
          "submitting a partition op");
    machine_.RunUntil([&reply] { return reply.has_value(); });
    Check(reply->status(), "a partition op");
  }

  // One batch of `count` messages with payloads of about `payload_bytes`.
  Bytes Batch(uint32_t count, uint64_t payload_bytes) {
    std::vector<Bytes> payloads;
    std::vector<wire::MessageToSend> messages;
    payloads.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      const uint64_t id = ++message_id_;
      Bytes payload(payload_bytes / 2 + prng_.UniformBelow(payload_bytes));
      for (uint8_t& byte : payload) byte = static_cast<uint8_t>(prng_.Next());
      payloads.push_back(std::move(payload));
      messages.push_back({.id = id, .origin_timestamp = 1'700'000'000'000'000 + id,
                          .payload = payloads.back()});
    }
    absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
    Check(batch.status(), "encoding a batch");
    return *std::move(batch);
  }

  void Send(uint32_t stream, uint32_t topic, uint32_t partition, uint32_t count,
            uint64_t payload_bytes) {
    Partition(stream, topic, partition, Operation::kSendMessages, Batch(count, payload_bytes));
  }

  // Partition 0/0/0 written through its PartitionLog directly (the replica is closed),
  // rolling every kBigSegmentBytes: the replicated topic setting cannot go below
  // Iggy's 1 MiB, and several 1 MiB segments would make every boot of the target
  // read megabytes. Recovery never compares segment sizes with the topic's setting
  // (a roll may come early: after a purge), so this is a directory the replica could
  // hold; the entries, rolls, state records and indexes are the partition log's own.
  void WriteBigPartition(int batches, bool store_offset) {
    partition::PartitionOptions options;
    options.cluster = kBootCluster;
    options.address = {0, 0, 0, big_incarnation_};
    options.namespace_id = NamespaceOf(0, 0, 0);
    options.segment_size_bytes = kBigSegmentBytes;
    options.single_node = true;
    options.index_entries_reserved = BootOptions(false).partitions.index_entries_reserved;
    partition::RecoveryReport report;
    absl::StatusOr<std::unique_ptr<partition::PartitionLog>> opened =
        machine_.Run(partition::PartitionLog::Open(machine_.storage, options, &report));
    Check(opened.status(), "opening the big partition");
    partition::PartitionLog& log = **opened;
    auto append = [&](Operation operation, ByteSpan body) {
      clock_us_ = std::max(clock_us_ + 1, Now());
      absl::StatusOr<Bytes> frame = log.PrepareNext(operation, body, clock_us_);
      Check(frame.status(), "preparing a big-partition entry");
      const uint64_t op = log.last_op() + 1;
      Check(log.Append(*frame, [&log, op](absl::Status status) {
        Check(status, "a big-partition append");
        log.Commit(op);
      }), "appending to the big partition");
    };
    for (int i = 0; i < batches; ++i) {
      append(Operation::kSendMessages, Batch(1 + prng_.UniformBelow(4), 1'000));
      // Group commits of one to three entries.
      if (prng_.UniformBelow(3) == 0) Check(machine_.Run(log.Drain()), "draining");
    }
    if (store_offset) {
      append(Operation::kStoreConsumerOffset,
             partition::EncodeStoreOffset(
                 {.consumer = {partition::ConsumerKind::kGroup, 7}, .offset = 30}));
    }
    Check(machine_.Run(log.Drain()), "draining the big partition");
    opened->reset();
    machine_.storage.RestartProcess();
  }

  void SendRound(int round) {
    for (int i = 0; i < 2; ++i) Send(0, 0, 1, 1 + prng_.UniformBelow(2), 300);
    Send(1, 0, 0, 2, 150);
    if (round % 3 == 0) Send(1, 1, 0, 1, 400);
  }

  void Filler(int round) {
    const std::string name = absl::StrCat("filler-", round);
    Metadata(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{name}));
    const uint32_t id = replica_->metadata().streams.rbegin()->first;
    Metadata(Operation::kUpdateStream, metadata::Encode(metadata::UpdateStreamBody{
                                           Identifier::Numeric(id), name + "-renamed"}));
    if (round % 2 == 1) {
      Metadata(Operation::kDeleteStream,
               metadata::Encode(metadata::StreamBody{Identifier::Numeric(id)}));
    }
  }

  void StoreOffsets(bool late) {
    using partition::ConsumerKey;
    using partition::ConsumerKind;
    auto store = [this](uint32_t s, uint32_t t, uint32_t p, ConsumerKind kind, uint32_t id,
                        uint64_t offset) {
      Partition(s, t, p, Operation::kStoreConsumerOffset,
                partition::EncodeStoreOffset({.consumer = {kind, id}, .offset = offset}));
    };
    if (!late) {
      store(0, 0, 1, ConsumerKind::kConsumer, 1, 3);
      store(1, 0, 0, ConsumerKind::kConsumer, 9, 4);
      return;
    }
    store(0, 0, 0, ConsumerKind::kConsumer, 1, 120);
    store(0, 0, 0, ConsumerKind::kGroup, 2, 60);
    store(0, 0, 0, ConsumerKind::kConsumer, 3, 7);
    store(1, 0, 0, ConsumerKind::kGroup, 5, 10);
    Partition(0, 0, 1, Operation::kDeleteConsumerOffset,
              partition::EncodeDeleteOffset(ConsumerKey{ConsumerKind::kConsumer, 1}));
  }

  Machine machine_;
  base::Prng prng_;
  std::unique_ptr<replica::SingleNodeReplica> replica_;
  uint64_t message_id_ = 0;
  uint64_t clock_us_ = 0;
  uint64_t big_incarnation_ = 0;
  BaseImage image_;
};

// --- describing the directory ---------------------------------------------------

const journal::JournalLayout& WalLayout() {
  static const journal::JournalLayout* const layout =
      new journal::JournalLayout(BootOptions(false).metadata.journal);
  return *layout;
}

FileClass ClassOf(absl::string_view path) {
  if (path == superblock::kSuperblockPath) return FileClass::kSuperblock;
  if (path == journal::kJournalPath) return FileClass::kWal;
  if (absl::StartsWith(path, "metadata/snapshot-")) return FileClass::kSnapshot;
  if (absl::EndsWith(path, "/partition.state")) return FileClass::kStateRecord;
  if (absl::EndsWith(path, ".log")) return FileClass::kSegmentLog;
  if (absl::EndsWith(path, ".index")) return FileClass::kSegmentIndex;
  if (absl::EndsWith(path, "/consumer_offsets")) return FileClass::kConsumerOffsets;
  return FileClass::kOther;
}

std::vector<Unit> Split(uint64_t size, uint64_t header, uint64_t each) {
  std::vector<Unit> units;
  if (header > 0) units.push_back({0, std::min(header, size)});
  for (uint64_t begin = header; begin < size; begin += each) {
    units.push_back({begin, std::min(each, size - begin)});
  }
  return units;
}

// The clean boot of the base: what each partition recovers is the original.
void RecordPartitions(BaseImage& image) {
  Machine machine(1);
  std::vector<sim::TreeEntry> tree;
  for (const std::string& directory : image.directories) tree.push_back({directory, true, {}});
  for (const BaseFile& file : image.files) tree.push_back({file.path, false, file.contents});
  std::sort(tree.begin(), tree.end(),
            [](const sim::TreeEntry& a, const sim::TreeEntry& b) { return a.path < b.path; });
  Check(machine.storage.file_system().LoadTree(tree), "loading the base");
  absl::StatusOr<bootstrap::BootedSingleNode> booted =
      machine.Run(bootstrap::BootSingleNode(machine.storage, BootOptions(false)));
  Check(booted.status(), "a clean boot of the base");
  const metadata::MetadataState& state = booted->metadata->state();
  SLUICE_ASSERT(state.last_applied_op == image.last_op, "a clean boot of the base applied op ",
                state.last_applied_op, ", the replica op ", image.last_op);
  for (const auto& [s, stream] : state.streams) {
    for (const auto& [t, topic] : stream.topics) {
      for (uint32_t p = 0; p < topic.partitions.size(); ++p) {
        BasePartition partition{.stream = s, .topic = t, .partition = p,
                                .incarnation = topic.partitions[p].incarnation};
        partition.namespace_id = *metadata::PackNamespace(kWidths, {s, t, p});
        partition.directory = partition::PartitionDirectory(
            {s, t, p, partition.incarnation});
        partition::PartitionLog& log = *booted->partitions.at(partition.namespace_id);
        PolledPartition polled = PollEverything(machine, log);
        SLUICE_ASSERT(polled.ok && polled.contiguous && polled.first_offset == 0,
                      "the base's partition ", partition.directory, " polls badly: ",
                      polled.problem);
        partition.messages = std::move(polled.messages);
        for (const auto& [key, offset] : log.consumer_offsets().offsets) {
          partition.consumer_offsets[{static_cast<uint8_t>(key.kind), key.id}] = offset;
        }
        partition.last_op = log.last_op();
        image.partitions.push_back(std::move(partition));
      }
    }
  }
  for (auto& [ns, log] : booted->partitions) Check(machine.Run(log->Drain()), "draining");
  Check(machine.Run(booted->metadata->Close()), "closing");
}

void Describe(BaseImage& image) {
  const journal::JournalLayout& wal = WalLayout();
  image.wal_prepares.assign(kWalSlots, {});
  for (size_t index = 0; index < image.files.size(); ++index) {
    BaseFile& file = image.files[index];
    file.file_class = ClassOf(file.path);
    for (size_t p = 0; p < image.partitions.size(); ++p) {
      if (absl::StartsWith(file.path, image.partitions[p].directory + "/")) {
        file.partition = static_cast<int>(p);
      }
    }
    const uint64_t size = file.contents.size();
    switch (file.file_class) {
      case FileClass::kSuperblock:
        file.units = Split(size, 0, superblock::kSuperblockCopySizeBytes);
        break;
      case FileClass::kWal:
        for (uint64_t slot = 0; slot < kWalSlots; ++slot) {
          file.units.push_back({wal.HeaderOffset(slot), wire::kHeaderSize});
        }
        for (uint64_t slot = 0; slot < kWalSlots; ++slot) {
          const uint64_t begin = wal.PrepareOffset(slot);
          const uint32_t frame_size =
              base::LoadLittleEndian<uint32_t>(file.contents, begin + wire::header_offset::kSize);
          const bool used = frame_size >= wire::kHeaderSize && frame_size <= kWalMessageSizeMax;
          file.units.push_back({begin, used ? frame_size : kWalMessageSizeMax});
          if (used) {
            image.wal_prepares[slot].assign(file.contents.begin() + begin,
                                            file.contents.begin() + begin + frame_size);
          }
        }
        break;
      case FileClass::kSnapshot:
        file.units = Split(size, 48, 64);
        break;
      case FileClass::kStateRecord:
        file.units = Split(size, 0, partition::kStateSlotSize);
        break;
      case FileClass::kSegmentIndex:
        file.units = Split(size, 0, partition::kIndexEntrySize);
        break;
      case FileClass::kConsumerOffsets:
        file.units = Split(size, 40, 13);
        break;
      default:
        file.units = Split(size, 0, std::max<uint64_t>(size, 1));
        break;
    }
    if (file.units.empty()) file.units.push_back({0, 0});
  }
  // State records and segments, per partition.
  for (size_t p = 0; p < image.partitions.size(); ++p) {
    BasePartition& partition = image.partitions[p];
    const int record_file = image.FileIndex(partition.directory + "/partition.state");
    SLUICE_ASSERT(record_file >= 0, "no state record in ", partition.directory);
    const Bytes& record_bytes = image.files[record_file].contents;
    uint64_t best = 0;
    for (int slot = 0; slot < 2; ++slot) {
      const uint64_t begin = slot * partition::kStateSlotSize;
      if (record_bytes.size() < begin + partition::kStateSlotSize) continue;
      absl::StatusOr<partition::StateRecord> record = partition::DecodeStateRecord(
          ByteSpan(record_bytes).subspan(begin, partition::kStateSlotSize));
      if (record.ok() && record->sequence >= best) {
        best = record->sequence;
        partition.record = *record;
        partition.newer_slot = slot;
      }
    }
    SLUICE_ASSERT(best > 0, "no valid state record slot in ", partition.directory);
    // Units of the record: the newer slot first.
    BaseFile& record_file_entry = image.files[record_file];
    if (partition.newer_slot == 1 && record_file_entry.units.size() == 2) {
      std::swap(record_file_entry.units[0], record_file_entry.units[1]);
    }
    partition.anchor_parent = partition.record.anchor_parent;
    absl::uint128 parent = partition.anchor_parent;
    for (size_t s = 0; s < partition.record.segments.size(); ++s) {
      const partition::SegmentInfo& info = partition.record.segments[s];
      const int log_file = image.FileIndex(
          absl::StrCat(partition.directory, "/", partition::SegmentLogName(info.first_op)));
      SLUICE_ASSERT(log_file >= 0, "segment ", info.first_op, " of ", partition.directory,
                    " is missing from the base");
      partition.segment_files.push_back(log_file);
      BaseFile& file = image.files[log_file];
      const partition::ScanResult scan = partition::ScanSegment(
          file.contents, {.cluster = kBootCluster, .namespace_id = partition.namespace_id,
                          .incarnation = partition.incarnation, .first_op = info.first_op,
                          .expected_parent = parent, .durable_watermark = UINT64_MAX,
                          .start_offset = info.start_offset});
      SLUICE_ASSERT(scan.verdict == partition::TailVerdict::kClean, "the base's segment ",
                    file.path, " does not scan clean: ", scan.Describe(file.path));
      file.units.clear();
      for (const partition::ScannedEntry& entry : scan.entries) {
        file.entries.push_back({.position = entry.position, .size = entry.size, .op = entry.op,
                                .commit = entry.commit, .first_offset = entry.base_offset,
                                .message_count = entry.message_count});
        file.units.push_back({entry.position, entry.size});
        parent = entry.checksum;
      }
      if (file.units.empty()) file.units.push_back({0, 0});
    }
  }
  image.by_class.assign(kFileClassCount, {});
  for (size_t index = 0; index < image.files.size(); ++index) {
    image.by_class[static_cast<size_t>(image.files[index].file_class)].push_back(
        static_cast<int>(index));
  }
}

BaseImage Build() {
  Writer writer;
  writer.Run();
  BaseImage image = std::move(writer).Finish();
  image.last_op = image.states.rbegin()->first;
  // The superblock's checkpoint and watermark, from any valid copy.
  const int superblock_file = image.FileIndex(std::string(superblock::kSuperblockPath));
  SLUICE_ASSERT(superblock_file >= 0, "no superblock in the base");
  absl::StatusOr<superblock::DecodedCopy> copy = superblock::DecodeSuperblockCopy(
      ByteSpan(image.files[superblock_file].contents).first(superblock::kSuperblockCopySizeBytes),
      0);
  Check(copy.status(), "decoding the base superblock");
  image.checkpoint_op = copy->state.metadata_checkpoint.op;
  image.commit_watermark = copy->state.metadata_commit_watermark;
  RecordPartitions(image);
  Describe(image);
  return image;
}

}  // namespace

bootstrap::SingleNodeBootOptions BootOptions(bool clamp_consumer_offsets) {
  bootstrap::SingleNodeBootOptions options;
  options.metadata.identity = {.cluster_id = kBootCluster, .replica_count = 1, .widths = kWidths};
  options.metadata.journal = {.cluster = kBootCluster, .slot_count = kWalSlots,
                              .message_size_max = kWalMessageSizeMax};
  options.partitions.single_node = true;
  options.partitions.clamp_consumer_offsets = clamp_consumer_offsets;
  options.partitions.index_entries_reserved = 64;
  return options;
}

const char* FileClassName(FileClass file_class) {
  switch (file_class) {
    case FileClass::kSuperblock:
      return "superblock";
    case FileClass::kWal:
      return "wal";
    case FileClass::kSnapshot:
      return "snapshot";
    case FileClass::kStateRecord:
      return "state_record";
    case FileClass::kSegmentLog:
      return "segment_log";
    case FileClass::kSegmentIndex:
      return "segment_index";
    case FileClass::kConsumerOffsets:
      return "consumer_offsets";
    case FileClass::kOther:
    case FileClass::kCount:
      break;
  }
  return "other";
}

int BaseImage::FileIndex(const std::string& path) const {
  const auto found = std::lower_bound(
      files.begin(), files.end(), path,
      [](const BaseFile& file, const std::string& wanted) { return file.path < wanted; });
  if (found == files.end() || found->path != path) return -1;
  return static_cast<int>(found - files.begin());
}

const BaseImage& Base() {
  static const BaseImage* const image = new BaseImage(Build());
  return *image;
}

absl::uint128 MessageFingerprint(ByteSpan frame, uint64_t offset, uint64_t timestamp) {
  base::Checksum128Builder builder;
  uint8_t fields[16];
  base::StoreLittleEndian<uint64_t>(MutableByteSpan(fields), 0, offset);
  base::StoreLittleEndian<uint64_t>(MutableByteSpan(fields), 8, timestamp);
  builder.Add(ByteSpan(fields));
  builder.Add(frame);
  return builder.Finish();
}

Machine::Machine(uint64_t seed) : storage(loop, {.seed = seed, .sector_size_bytes = 4096}) {
  storage.set_random_faults_enabled(false);
}

void Machine::RunUntil(absl::FunctionRef<bool()> done) {
  const uint64_t limit = loop.events_run() + kEventsMax;
  while (!done()) {
    SLUICE_ASSERT(loop.events_run() < limit, "a task ran ", kEventsMax,
                  " loop events without finishing (a hang)");
    SLUICE_ASSERT(loop.RunOnce(), "the loop ran out of events before a task finished");
  }
}

PolledPartition PollEverything(Machine& machine, partition::PartitionLog& log) {
  PolledPartition polled;
  const uint64_t end = log.committed_next_offset();
  uint64_t next = 0;
  bool first = true;
  // Each poll returns at least one message while next < end, so this is bounded.
  for (int round = 0; first || next < end; ++round) {
    if (round > 100'000) {
      polled.ok = false;
      polled.problem = "polling did not progress";
      return polled;
    }
    absl::StatusOr<partition::PollResult> result =
        machine.Run(first ? log.PollFirst(1000) : log.PollByOffset(next, 1000));
    if (!result.ok()) {
      polled.ok = false;
      polled.problem = absl::StrCat("poll at offset ", next, ": ", result.status().ToString());
      return polled;
    }
    if (result->message_count == 0) {
      if (!first) {
        polled.ok = false;
        polled.problem = absl::StrCat("a poll at offset ", next, " below the committed end ", end,
                                      " returned nothing");
      }
      return polled;
    }
    for (const partition::PolledBatch& batch : result->batches) {
      const absl::StatusOr<wire::ValidatedBatch> decoded = wire::DecodeBatch(batch.batch);
      if (!decoded.ok()) {
        polled.ok = false;
        polled.problem = absl::StrCat("a stored batch does not decode: ",
                                      decoded.status().ToString());
        return polled;
      }
      uint32_t index = 0;
      for (const wire::MessageView message : *decoded) {
        if (index++ < batch.first_message) continue;
        if (index > batch.first_message + batch.message_count) break;
        if (first) {
          polled.first_offset = message.offset;
          next = message.offset;
          first = false;
        }
        if (message.offset != next) polled.contiguous = false;
        polled.messages.push_back(
            MessageFingerprint(message.frame, message.offset, message.timestamp));
        next = message.offset + 1;
      }
    }
    if (first) {
      polled.ok = false;
      polled.problem = "a poll counted messages but returned none";
      return polled;
    }
  }
  return polled;
}

absl::Status WriteBase(const std::string& directory) {
  const BaseImage& base = Base();
  const std::filesystem::path root = directory;
  std::error_code error;
  std::filesystem::create_directories(root, error);
  for (const std::string& sub : base.directories) {
    if (!error) std::filesystem::create_directories(root / sub, error);
  }
  if (error) return absl::InternalError(absl::StrCat("creating ", directory, ": ", error.message()));
  for (const BaseFile& file : base.files) {
    std::ofstream out(root / file.path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(file.contents.data()), static_cast<std::streamsize>(file.contents.size()));
    if (!out.good()) return absl::InternalError(absl::StrCat("writing ", (root / file.path).string()));
  }
  return absl::OkStatus();
}

}  // namespace sluice::fuzz::bootstrap_image
