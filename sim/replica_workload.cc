#include "sim/replica_workload.h"

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/base/checksum.h"
#include "core/base/prng.h"
#include "core/io/testing/interrupting_storage.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata_store/format_metadata.h"
#include "core/replica/single_node_replica.h"
#include "core/wire/batch.h"
#include "core/wire/header.h"
#include "core/wire/batch_encoder.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::sim {
namespace {

using metadata::Identifier;
using wire::Operation;

constexpr absl::uint128 kCluster = 0x51CE;
constexpr uint32_t kStreamSlots = 3;  // ids get reused: streams 0..2
constexpr uint64_t kPollBatch = 1000;

struct PartitionKey {
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  uint64_t incarnation = 0;
  auto operator<=>(const PartitionKey&) const = default;
};

// What the clients know: sent and acknowledged messages per partition incarnation.
struct PartitionModel {
  std::vector<uint64_t> sent;  // message ids in op (= offset) order
  uint64_t acked = 0;          // sent[0 .. acked) are acknowledged
};

class Workload {
 public:
  Workload(uint64_t seed, const ReplicaWorkloadOptions& options)
      : options_(options),
        prng_(seed),
        storage_(loop_, {.seed = base::DeriveSeed(seed, 1), .sector_size_bytes = 512}),
        interrupting_(storage_, loop_) {}

  ReplicaWorkloadResult Run() {
    // Swarm: half of the seeds damage files while the replica is down, each at its
    // own rate per crash.
    if (prng_.Chance({1, 2})) damage_per_crash_ = {1, 2 + prng_.UniformBelow(6)};
    if (!Format()) return Finish();
    Boot();
    for (uint64_t step = 0; step < options_.operations && Healthy(); ++step) {
      if (replica_ == nullptr) {
        Boot();
        continue;
      }
      const uint64_t roll = prng_.UniformBelow(100);
      if (roll < 45) {
        SendSome();
      } else if (roll < 60) {
        RunSome();
      } else if (roll < 70) {
        CreateTopic();
      } else if (roll < 76) {
        CreateStream();
      } else if (roll < 80) {
        DeleteTopic();
      } else if (roll < 83) {
        DeleteStream();
      } else if (roll < 93) {
        Settle();
      } else {
        CrashAndBoot();
      }
    }
    // End with a crash and a boot that finishes (so damage done while down is answered).
    BootUntilUp();
    if (Healthy() && replica_ != nullptr) CrashAndBoot();
    BootUntilUp();
    return Finish();
  }

 private:
  void Trace(const std::string& line) {
    digest_.Add(base::AsBytes(line));
    digest_.Add(base::AsBytes("\n"));
    if (options_.trace) options_.trace(line);
  }
  void Violation(const std::string& what) {
    result_.violations.push_back(what);
    Trace("VIOLATION " + what);
  }
  void LivenessFailure(const std::string& what) {
    result_.liveness_failures.push_back(what);
    Trace("LIVENESS " + what);
  }
  bool Healthy() const { return result_.violations.empty() && result_.liveness_failures.empty(); }

  replica::SingleNodeReplicaOptions Options() const {
    replica::SingleNodeReplicaOptions options;
    options.boot.metadata.identity = {.cluster_id = kCluster, .replica_count = 1,
                                      .widths = widths_};
    options.boot.metadata.journal = {.cluster = kCluster, .slot_count = 16,
                                     .message_size_max = 4096};
    options.boot.partitions.single_node = true;
    options.boot.partitions.index_entries_reserved = 64;
    options.password_cost = {.passes = 1, .memory_kib = 64, .lanes = 1};
    return options;
  }

  template <typename T>
  std::optional<T> RunTask(io::Task<T> task) {
    std::optional<T> result;
    io::Spawn(std::move(task), [&result](T value) { result.emplace(std::move(value)); });
    while (!result.has_value() && loop_.RunOnce()) {
    }
    return result;
  }

  bool Format() {
    metadata_store::MetadataFormat format;
    format.identity.cluster_id = kCluster;
    format.identity.replica_count = 1;
    format.identity.namespace_widths = widths_;
    format.journal = Options().boot.metadata.journal;
    format.config.widths = widths_;
    const std::optional<absl::Status> formatted =
        RunTask(metadata_store::FormatMetadata(storage_, format));
    if (!formatted.has_value() || !formatted->ok()) {
      Violation("format failed");
      return false;
    }
    return true;
  }

  void Boot() {
    // Sometimes the process dies during bootstrap itself.
    const bool interrupt = prng_.Chance({1, 6});
    const uint64_t k = prng_.UniformBelow(40);
    if (interrupt) interrupting_.StopAfterCompletions(interrupting_.completions() + k);
    uint8_t salt = 0;
    std::optional<absl::StatusOr<std::unique_ptr<replica::SingleNodeReplica>>> opened =
        RunTask(replica::SingleNodeReplica::Open(interrupting_, Options(), [&salt] {
          return Bytes(metadata::kPasswordSaltBytes, ++salt);
        }));
    ++result_.boots;
    if (opened.has_value() && opened->ok() && !interrupting_.stopped()) {
      replica_ = *std::move(*opened);
      interrupting_.StopAfterCompletions(UINT64_MAX);
      Trace(absl::StrCat("boot ok at metadata op ", replica_->metadata().last_applied_op));
      if (damage_.has_value() && damage_->kind == DamageKind::kDurableEntryFlipped) {
        Violation("boot succeeded over a corrupt entry proven durable (rule B7: never cut, refuse on one node): " +
                  damage_->what);
      }
      damage_.reset();
      CheckAfterBoot();
      return;
    }
    if (interrupt && interrupting_.stopped()) {
      ++result_.interrupted_boots;
      Trace(absl::StrCat("boot interrupted after ", k, " storage operations"));
      if (opened.has_value() && opened->ok()) {
        replica_ = *std::move(*opened);
      }
      CrashNow();
      return;
    }
    if (!opened.has_value()) {
      LivenessFailure("boot did not finish: the simulation ran out of events");
      return;
    }
    if (RefusedForDamage(opened->status())) {
      CrashNow();  // the refused process exits; its unsynced writes are gone
      RestoreDamagedFile();
      Boot();
      return;
    }
    Violation(absl::StrCat("boot failed: ", opened->status().ToString()));
  }

  void BootUntilUp() {
    for (int attempt = 0; attempt < 16 && Healthy() && replica_ == nullptr; ++attempt) Boot();
  }

  void CrashNow() {
    while (loop_.RunOnce()) {
    }
    replica_.reset();
    storage_.CrashMachine();
    interrupting_.StopAfterCompletions(UINT64_MAX);
    ++result_.crashes;
  }

  void CrashAndBoot() {
    const uint64_t k = prng_.UniformBelow(60);
    Trace(absl::StrCat("process dies after ", k, " more storage operations; machine crashes"));
    interrupting_.StopAfterCompletions(interrupting_.completions() + k);
    CrashNow();
    if (!damage_.has_value() && prng_.Chance(damage_per_crash_)) DamageFiles();
    Boot();
  }

  // --- files damaged behind the replica's back while it is down (DESIGN.md fault
  // model: corruption, files removed or truncated). One copy only: after damage to
  // data that is proven durable, a clear refusal naming the file is the correct
  // outcome; the workload then restores the file (the operator's backup) and boots
  // again. A boot that succeeds is checked as always (nothing acknowledged lost).

  struct SegmentEntry {
    uint64_t position = 0;
    uint64_t size = 0;
    uint64_t op = 0;
    uint64_t commit = 0;
  };

  enum class DamageKind { kIndexTruncated, kSegmentRemoved, kDurableEntryFlipped };

  struct Damage {
    DamageKind kind;
    std::string path;
    Bytes saved;  // the file before the damage (restored after a refusal)
    uint64_t offset = 0;
    uint8_t bit = 0;
    std::string what;
  };

  static uint64_t LoadLittleEndian(const Bytes& bytes, uint64_t at, int width) {
    uint64_t value = 0;
    for (int i = width - 1; i >= 0; --i) value = value << 8 | bytes[at + static_cast<uint64_t>(i)];
    return value;
  }

  // The valid entries of a segment file, walking from its start (as written: each
  // entry's size field leads to the next).
  static std::vector<SegmentEntry> EntriesOf(const Bytes& bytes) {
    std::vector<SegmentEntry> entries;
    uint64_t position = 0;
    while (position + wire::kHeaderSize <= bytes.size()) {
      const uint64_t size = LoadLittleEndian(bytes, position + wire::header_offset::kSize, 4);
      if (size < wire::kHeaderSize || position + size > bytes.size()) break;
      if (!wire::DecodePrepare(ByteSpan(bytes).subspan(position, size), kCluster).ok()) break;
      entries.push_back({position, size, LoadLittleEndian(bytes, position + wire::header_offset::kOp, 8),
                         LoadLittleEndian(bytes, position + wire::header_offset::kCommit, 8)});
      position += size;
    }
    return entries;
  }

  void DamageFiles() {
    std::vector<TreeEntry> logs, indexes;
    for (TreeEntry& entry : storage_.file_system().Tree()) {
      if (entry.is_directory || !absl::StrContains(entry.path, "/partitions/")) continue;
      if (absl::EndsWith(entry.path, ".log")) logs.push_back(std::move(entry));
      if (absl::EndsWith(entry.path, ".index") && !entry.contents.empty()) indexes.push_back(std::move(entry));
    }
    const uint64_t kind = prng_.UniformBelow(3);
    if (kind == 0 && !indexes.empty()) {  // rule B2: the index is a hint
      TreeEntry& index = indexes[prng_.UniformBelow(indexes.size())];
      const uint64_t size = prng_.UniformBelow(index.contents.size());
      SLUICE_ASSERT(storage_.TruncateBehindBack(index.path, size).ok());
      damage_ = Damage{DamageKind::kIndexTruncated, index.path, std::move(index.contents), 0, 0,
                       absl::StrCat("index ", index.path, " truncated to ", size, " bytes")};
    } else if (kind == 1 && !logs.empty()) {  // rule B5: never recreated empty
      TreeEntry& log = logs[prng_.UniformBelow(logs.size())];
      SLUICE_ASSERT(storage_.RemoveBehindBack(log.path).ok());
      damage_ = Damage{DamageKind::kSegmentRemoved, log.path, std::move(log.contents), 0, 0,
                       absl::StrCat("segment ", log.path, " removed")};
    } else if (kind == 2 && !logs.empty()) {  // rule B7: a corrupt durable entry is never cut
      TreeEntry& log = logs[prng_.UniformBelow(logs.size())];
      const std::vector<SegmentEntry> entries = EntriesOf(log.contents);
      // Proven durable: a valid later entry's commit field covers it.
      std::vector<SegmentEntry> proven;
      for (size_t i = 0; i < entries.size(); ++i) {
        for (size_t j = i + 1; j < entries.size(); ++j) {
          if (entries[j].commit >= entries[i].op) {
            proven.push_back(entries[i]);
            break;
          }
        }
      }
      if (proven.empty()) return;
      const SegmentEntry& victim = proven[prng_.UniformBelow(proven.size())];
      const uint64_t offset = victim.position + prng_.UniformBelow(victim.size);
      const uint8_t bit = static_cast<uint8_t>(prng_.UniformBelow(8));
      SLUICE_ASSERT(storage_.InjectBitFlip(log.path, offset, bit).ok());
      damage_ = Damage{DamageKind::kDurableEntryFlipped, log.path, {}, offset, bit,
                       absl::StrCat("bit ", static_cast<int>(bit), " flipped at offset ", offset, " of ", log.path,
                                    " (entry op ", victim.op, ", proven durable)")};
    }
    if (damage_.has_value()) {
      ++result_.damaged_files;
      ++(damage_->kind == DamageKind::kIndexTruncated   ? result_.indexes_truncated
         : damage_->kind == DamageKind::kSegmentRemoved ? result_.segments_removed
                                                        : result_.durable_entries_flipped);
      Trace("while down: " + damage_->what);
    }
  }

  // The operator's repair after a clear refusal: the damaged file back from a backup.
  void RestoreDamagedFile() {
    SimFileSystem& files = storage_.file_system();
    if (damage_->kind == DamageKind::kDurableEntryFlipped) {
      SLUICE_ASSERT(files.FlipBit(damage_->path, damage_->offset, damage_->bit).ok());
    } else {
      const absl::StatusOr<io::FileHandle> file = files.Open(damage_->path, io::OpenMode::kCreate);
      SLUICE_ASSERT(file.ok(), file.status().ToString());
      SLUICE_ASSERT(files.Truncate(*file, 0).ok());
      SLUICE_ASSERT(files.Write(*file, 0, damage_->saved).ok());
      SLUICE_ASSERT(files.Sync(*file, SyncOutcome::kOk).ok());
      SLUICE_ASSERT(files.Close(*file).ok());
      SLUICE_ASSERT(files.SyncDirectory(damage_->path.substr(0, damage_->path.rfind('/'))).ok());
    }
    Trace("restored " + damage_->path + " from a backup");
    damage_.reset();
  }

  // After a boot with damage pending: a refusal must name the damaged file (then the
  // file is restored and the replica booted again); a boot that accepted a corrupt
  // entry proven durable violates rule B7.
  bool RefusedForDamage(const absl::Status& status) {
    if (!damage_.has_value()) return false;
    // The partition directory and the file name, e.g. "partitions/0-12/…042.log".
    const size_t name = damage_->path.rfind('/');
    const size_t directory = damage_->path.rfind('/', name - 1);
    const std::string where = damage_->path.substr(damage_->path.rfind('/', directory - 1) + 1);
    if (damage_->kind == DamageKind::kIndexTruncated || !absl::StrContains(status.message(), where)) {
      return false;
    }
    ++result_.refusals;
    ++(damage_->kind == DamageKind::kSegmentRemoved ? result_.segments_removed_refused
                                                    : result_.durable_entries_flipped_refused);
    Trace(absl::StrCat("boot refused after damage (", damage_->what, "): ", status.ToString()));
    return true;
  }

  // Runs the loop until the metadata op in flight is replied to (or everything stops).
  std::optional<metadata::ApplyResult> Metadata(Operation operation, Bytes body) {
    std::optional<absl::StatusOr<metadata::ApplyResult>> reply;
    const absl::Status submitted = replica_->SubmitMetadata(
        {.operation = operation, .body = std::move(body), .timestamp_us = Now()},
        [&reply](absl::StatusOr<metadata::ApplyResult> r) { reply = std::move(r); });
    if (!submitted.ok()) return std::nullopt;
    while (!reply.has_value() && loop_.RunOnce()) {
    }
    if (!reply.has_value() || !reply->ok()) return std::nullopt;
    return **reply;
  }

  uint64_t Now() const { return loop_.RealtimeNs() / 1000; }

  void CreateStream() {
    const uint32_t slot = static_cast<uint32_t>(prng_.UniformBelow(kStreamSlots));
    const std::optional<metadata::ApplyResult> result = Metadata(
        Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{absl::StrCat("s", slot)}));
    Trace(absl::StrCat("create stream s", slot, ": ",
                       result.has_value() ? static_cast<int>(result->error) : -1));
  }

  void CreateTopic() {
    const auto& streams = replica_->metadata().streams;
    if (streams.empty()) return;
    auto stream = streams.begin();
    std::advance(stream, prng_.UniformBelow(streams.size()));
    const uint32_t partitions = static_cast<uint32_t>(1 + prng_.UniformBelow(3));
    const std::optional<metadata::ApplyResult> result =
        Metadata(Operation::kCreateTopic,
                 metadata::Encode(metadata::CreateTopicBody{
                     .stream = Identifier::Numeric(stream->first),
                     .partitions_count = partitions,
                     .name = absl::StrCat("t", prng_.UniformBelow(3))}));
    Trace(absl::StrCat("create topic in stream ", stream->first, " with ", partitions,
                       " partitions: ", result.has_value() ? static_cast<int>(result->error) : -1));
    CheckPartitionsExist();
  }

  void DeleteTopic() {
    const std::vector<PartitionKey> keys = CurrentPartitions();
    if (keys.empty()) return;
    const PartitionKey& key = keys[prng_.UniformBelow(keys.size())];
    const std::optional<metadata::ApplyResult> result =
        Metadata(Operation::kDeleteTopic,
                 metadata::Encode(metadata::TopicBody{Identifier::Numeric(key.stream),
                                                      Identifier::Numeric(key.topic)}));
    Trace(absl::StrCat("delete topic ", key.stream, "/", key.topic, ": ",
                       result.has_value() ? static_cast<int>(result->error) : -1));
    CheckPartitionsExist();
  }

  void DeleteStream() {
    const auto& streams = replica_->metadata().streams;
    if (streams.empty()) return;
    auto stream = streams.begin();
    std::advance(stream, prng_.UniformBelow(streams.size()));
    const uint32_t id = stream->first;
    const std::optional<metadata::ApplyResult> result = Metadata(
        Operation::kDeleteStream, metadata::Encode(metadata::StreamBody{Identifier::Numeric(id)}));
    Trace(absl::StrCat("delete stream ", id, ": ",
                       result.has_value() ? static_cast<int>(result->error) : -1));
  }

  std::vector<PartitionKey> CurrentPartitions() const {
    std::vector<PartitionKey> keys;
    for (const auto& [s, stream] : replica_->metadata().streams) {
      for (const auto& [t, topic] : stream.topics) {
        for (uint32_t p = 0; p < topic.partitions.size(); ++p) {
          keys.push_back({s, t, p, topic.partitions[p].incarnation});
        }
      }
    }
    return keys;
  }

  uint64_t NamespaceOf(const PartitionKey& key) const {
    return *metadata::PackNamespace(widths_, {key.stream, key.topic, key.partition});
  }

  void SendSome() {
    const std::vector<PartitionKey> keys = CurrentPartitions();
    if (keys.empty()) return;
    const uint64_t count = 1 + prng_.UniformBelow(4);
    for (uint64_t i = 0; i < count; ++i) {
      const PartitionKey key = keys[prng_.UniformBelow(keys.size())];
      const uint64_t id = ++next_message_id_;
      const std::string payload = absl::StrCat("message-", id);
      const wire::MessageToSend message{.id = id, .payload = base::AsBytes(payload)};
      const absl::StatusOr<Bytes> batch = wire::EncodeBatch(std::span(&message, 1));
      SLUICE_ASSERT(batch.ok());
      const absl::Status submitted = replica_->SubmitPartition(
          NamespaceOf(key), key.incarnation, Operation::kSendMessages, *batch, Now(),
          [this, key, id](absl::StatusOr<uint64_t> op) {
            if (!op.ok()) return;
            PartitionModel& model = partitions_[key];
            // Acks come in op order; the acked prefix grows to include this id.
            for (uint64_t j = model.acked; j < model.sent.size(); ++j) {
              if (model.sent[j] == id) {
                model.acked = j + 1;
                ++result_.acked_messages;
                break;
              }
            }
          });
      if (submitted.ok()) partitions_[key].sent.push_back(id);
    }
  }

  void RunSome() {
    const uint64_t events = prng_.UniformBelow(30);
    for (uint64_t i = 0; i < events && loop_.RunOnce(); ++i) {
    }
  }

  void Settle() {
    const std::optional<absl::Status> drained = RunTask(replica_->Drain());
    if (!drained.has_value()) {
      LivenessFailure("drain did not finish: the simulation ran out of events");
    } else if (!drained->ok()) {
      Violation("drain failed without an injected fault: " + drained->ToString());
    }
  }

  void CheckPartitionsExist() {
    for (const PartitionKey& key : CurrentPartitions()) {
      if (!replica_->Partition(NamespaceOf(key), key.incarnation).ok()) {
        Violation(absl::StrCat("partition ", key.stream, "/", key.topic, "/", key.partition,
                               " of incarnation ", key.incarnation,
                               " is in the metadata but has no log"));
      }
    }
  }

  // After a boot: every partition's committed messages are a prefix of what was sent
  // to it containing every acknowledged message; then the model adopts what survived.
  void CheckAfterBoot() {
    CheckPartitionsExist();
    const std::vector<PartitionKey> current = CurrentPartitions();
    const std::set<PartitionKey> live(current.begin(), current.end());
    for (auto it = partitions_.begin(); it != partitions_.end();) {
      if (!live.contains(it->first)) {
        it = partitions_.erase(it);  // deleted (its deletion was committed)
      } else {
        ++it;
      }
    }
    for (const PartitionKey& key : current) {
      PartitionModel& model = partitions_[key];
      absl::StatusOr<partition::PartitionLog*> log =
          replica_->Partition(NamespaceOf(key), key.incarnation);
      if (!log.ok()) continue;  // reported above
      const std::optional<absl::StatusOr<partition::PollResult>> polled =
          RunTask((*log)->PollByOffset(0, kPollBatch));
      if (!polled.has_value() || !polled->ok()) {
        Violation(absl::StrCat("poll failed on partition ", key.stream, "/", key.topic, "/",
                               key.partition));
        continue;
      }
      std::vector<uint64_t> ids;
      uint64_t expected_offset = 0;
      for (const partition::PolledBatch& polled_batch : (*polled)->batches) {
        const absl::StatusOr<wire::ValidatedBatch> batch = wire::DecodeBatch(polled_batch.batch);
        if (!batch.ok()) {
          Violation("a stored batch does not decode: " + batch.status().ToString());
          continue;
        }
        for (const wire::MessageView message : *batch) {
          if (message.offset != expected_offset++) {
            Violation(absl::StrCat("offsets not contiguous at ", message.offset));
          }
          const std::string payload(message.payload.begin(), message.payload.end());
          if (payload != absl::StrCat("message-", absl::Uint128Low64(message.id))) {
            Violation(absl::StrCat("message ", absl::Uint128Low64(message.id), " has payload ", payload));
          }
          ids.push_back(absl::Uint128Low64(message.id));
        }
      }
      const std::string where =
          absl::StrCat("partition ", key.stream, "/", key.topic, "/", key.partition, " (incarnation ",
                       key.incarnation, ")");
      if (ids.size() < model.acked) {
        Violation(absl::StrCat(where, ": ", model.acked, " messages acknowledged, ", ids.size(),
                               " recovered (an acknowledged message was lost)"));
      }
      for (size_t i = 0; i < ids.size(); ++i) {
        if (i >= model.sent.size() || ids[i] != model.sent[i]) {
          Violation(absl::StrCat(where, ": recovered message ", ids[i], " at offset ", i,
                                 " was never sent there in that order"));
          break;
        }
      }
      Trace(absl::StrCat(where, ": ", ids.size(), " messages recovered, ", model.acked, " acked"));
      model.sent.resize(std::min(model.sent.size(), ids.size()));
      model.acked = model.sent.size();
    }
  }

  ReplicaWorkloadResult Finish() {
    if (replica_ != nullptr) {
      (void)RunTask(replica_->Drain());
      replica_.reset();
    }
    const absl::uint128 digest = digest_.Finish();
    result_.digest = absl::StrCat(absl::Hex(absl::Uint128High64(digest), absl::kZeroPad16),
                                  absl::Hex(absl::Uint128Low64(digest), absl::kZeroPad16));
    result_.simulated_ns = loop_.MonotonicNs();
    return result_;
  }

  const ReplicaWorkloadOptions& options_;
  base::Prng prng_;
  metadata::NamespaceWidths widths_{.stream_bits = 4, .topic_bits = 4, .partition_bits = 4};
  SimLoop loop_;
  SimStorage storage_;
  io::testing::InterruptingStorage interrupting_;
  std::unique_ptr<replica::SingleNodeReplica> replica_;
  std::map<PartitionKey, PartitionModel> partitions_;
  uint64_t next_message_id_ = 0;
  base::Ratio damage_per_crash_ = base::Ratio::Never();
  std::optional<Damage> damage_;
  base::Checksum128Builder digest_;
  ReplicaWorkloadResult result_;
};

}  // namespace

ReplicaWorkloadResult RunReplicaWorkload(uint64_t seed, const ReplicaWorkloadOptions& options) {
  return Workload(seed, options).Run();
}

}  // namespace sluice::sim
