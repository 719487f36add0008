// Writes the seed corpus of every fuzz target: valid inputs built with the
// project's own encoders (and a few damaged ones that exercise the recovery
// verdicts), one file each, under DIR/<target>/.
//
//   bazel run //fuzz:make_corpus -- fuzz/corpus     # relative to the workspace
//
// fuzz/corpus/ holds its output, checked in; rerun it when a format changes (the
// replay tests fail on stale seeds only if an oracle breaks, so also check that
// `bazel test //fuzz/...` still passes). The output is deterministic.

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/prng.h"
#include "core/journal/journal_layout.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/state_codec.h"
#include "core/partition/consumer_offsets.h"
#include "core/partition/entry_body.h"
#include "core/partition/segment_index.h"
#include "core/partition/state_record.h"
#include "core/superblock/superblock_format.h"
#include "core/superblock/superblock_state.h"
#include "core/wire/batch.h"
#include "core/wire/batch_encoder.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"
#include "core/client_protocol/request_encoder.h"
#include "core/client_protocol/requests.h"
#include "core/client_protocol/testing/sample_requests.h"
#include "fuzz/bootstrap_program.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/journal_program.h"

namespace sluice::fuzz {
namespace {

using wire::Operation;

constexpr size_t kSeedSizeBytesMax = 8 * 1024;

class CorpusWriter {
 public:
  explicit CorpusWriter(std::filesystem::path root) : root_(std::move(root)) {}

  void Write(const std::string& target, const std::string& name, ByteSpan bytes) {
    SLUICE_ASSERT(bytes.size() < kSeedSizeBytesMax, target, "/", name, " is ", bytes.size(),
                  " bytes");
    const std::filesystem::path directory = root_ / target;
    std::filesystem::create_directories(directory);
    std::ofstream file(directory / name, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(bytes.data()),
               static_cast<std::streamsize>(bytes.size()));
    file.close();
    SLUICE_ASSERT(file.good(), "writing ", (directory / name).string());
    ++written_;
  }

  // Prefixes the partition_records_fuzzer selector byte.
  void WriteRecord(uint8_t selector, const std::string& name, ByteSpan bytes) {
    Bytes input{selector};
    input.insert(input.end(), bytes.begin(), bytes.end());
    Write("partition_records_fuzzer", name, input);
  }

  int written() const { return written_; }

 private:
  std::filesystem::path root_;
  int written_ = 0;
};

// One user-header TLV (user_headers.h).
void AppendTlv(Bytes& out, uint8_t kind, ByteSpan value) {
  out.push_back(kind);
  const uint32_t length = static_cast<uint32_t>(value.size());
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<uint8_t>(length >> shift));
  out.insert(out.end(), value.begin(), value.end());
}

Bytes SampleUserHeaders() {
  Bytes headers;
  AppendTlv(headers, 2, base::AsBytes("trace-id"));      // String key
  AppendTlv(headers, 1, base::AsBytes("\x01\x02\x03"));  // Raw value
  AppendTlv(headers, 2, base::AsBytes("retries"));
  const uint8_t four[4] = {3, 0, 0, 0};
  AppendTlv(headers, 11, four);  // Uint32 value
  AppendTlv(headers, 2, base::AsBytes("urgent"));
  const uint8_t yes[1] = {1};
  AppendTlv(headers, 3, yes);  // Bool value
  return headers;
}

// A producer's batch of `count` messages; every other one carries user headers.
Bytes MakeBatch(uint32_t count, uint64_t first_id, bool with_headers) {
  const Bytes headers = SampleUserHeaders();
  std::vector<std::string> payloads;
  for (uint32_t i = 0; i < count; ++i)
    payloads.push_back("payload-" + std::to_string(first_id + i));
  std::vector<wire::MessageToSend> messages;
  for (uint32_t i = 0; i < count; ++i) {
    messages.push_back(
        {.id = absl::MakeUint128(first_id, i),
         .origin_timestamp = uint64_t{1'700'000'000'000'000} + 250 * ((i * 7) % count),
         .payload = base::AsBytes(payloads[i]),
         .user_headers = with_headers && i % 2 == 0 ? ByteSpan(headers) : ByteSpan()});
  }
  absl::StatusOr<Bytes> batch = wire::EncodeBatch(messages);
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *std::move(batch);
}

Bytes Stamp(Bytes batch, const wire::BatchStamp& stamp) {
  absl::StatusOr<wire::ValidatedBatch> decoded = wire::DecodeBatch(batch);
  SLUICE_ASSERT(decoded.ok(), decoded.status().ToString());
  wire::StampBatch(*decoded, MutableByteSpan(batch), stamp);
  return batch;
}

wire::PrepareHeader PartitionHeader(uint64_t op, Operation operation) {
  wire::PrepareHeader header;
  header.cluster = kCluster;
  header.view = 3;
  header.release = 1;
  header.replica = 1;
  header.client = absl::MakeUint128(0xC11E47, op);
  header.request_checksum = absl::MakeUint128(op, 0x5EC0);
  header.op = op;
  header.commit = op - 1;
  header.timestamp = 1'700'000'000'000'000 + op * 1000;
  header.request = op;
  header.operation = operation;
  header.namespace_id = kNamespace;
  header.incarnation = kIncarnation;
  return header;
}

// A partition segment: each entry chained to the previous one, batches stamped
// with the running offset, as PartitionLog writes them.
class SegmentBuilder {
 public:
  void Append(Operation operation, ByteSpan body, uint64_t commit) {
    wire::PrepareHeader header = PartitionHeader(op_, operation);
    header.parent = parent_;
    header.commit = commit;
    Bytes stored_body(body.begin(), body.end());
    if (operation == Operation::kSendMessages) {
      stored_body = Stamp(
          stored_body,
          {.partition_id = 1, .base_offset = next_offset_, .base_timestamp = header.timestamp});
      next_offset_ +=
          base::LoadLittleEndian<uint32_t>(stored_body, wire::batch_offset::kMessageCount);
    }
    const Bytes frame = wire::EncodePrepare(header, stored_body);
    entry_positions_.push_back(log_.size());
    log_.insert(log_.end(), frame.begin(), frame.end());
    parent_ = wire::PrepareChecksum(frame);
    ++op_;
  }
  const Bytes& log() const { return log_; }
  size_t position(size_t entry) const { return entry_positions_.at(entry); }

 private:
  Bytes log_;
  std::vector<size_t> entry_positions_;
  absl::uint128 parent_ = kAnchorParent;
  uint64_t op_ = kFirstOp;
  uint64_t next_offset_ = kStartOffset;
};

void WritePrepares(CorpusWriter& out) {
  const Bytes batch =
      Stamp(MakeBatch(3, 100, true), {.partition_id = 7, .base_offset = 40, .base_timestamp = 5});
  out.Write("prepare_fuzzer", "send_messages",
            wire::EncodePrepare(PartitionHeader(9, Operation::kSendMessages), batch));
  const Bytes store = partition::EncodeStoreOffset(
      {.consumer = {partition::ConsumerKind::kGroup, 12}, .offset = 41});
  out.Write("prepare_fuzzer", "store_consumer_offset",
            wire::EncodePrepare(PartitionHeader(10, Operation::kStoreConsumerOffset), store));
  out.Write("prepare_fuzzer", "partition_purge_empty_body",
            wire::EncodePrepare(PartitionHeader(11, Operation::kPartitionPurge), {}));
  wire::PrepareHeader metadata = PartitionHeader(5, Operation::kCreateStream);
  metadata.namespace_id = 0;
  metadata.incarnation = 0;
  out.Write("prepare_fuzzer", "create_stream",
            wire::EncodePrepare(metadata, base::AsBytes("\x01\x00\x00\x00orders")));
  // A torn frame: the size field promises more than is there.
  const Bytes whole = wire::EncodePrepare(PartitionHeader(12, Operation::kSendMessages), batch);
  out.Write("prepare_fuzzer", "torn_send_messages", ByteSpan(whole).first(whole.size() - 17));
}

void WriteBatches(CorpusWriter& out) {
  out.Write("batch_fuzzer", "one_message", MakeBatch(1, 1, false));
  out.Write("batch_fuzzer", "four_messages_user_headers", MakeBatch(4, 20, true));
  out.Write("batch_fuzzer", "stamped",
            Stamp(MakeBatch(2, 50, true),
                  {.partition_id = 3, .base_offset = 99, .base_timestamp = 1'700'000'000'000'000}));
  const wire::MessageToSend empty{
      .id = 77, .origin_timestamp = 9, .payload = ByteSpan(), .user_headers = ByteSpan()};
  absl::StatusOr<Bytes> empty_payload = wire::EncodeBatch(std::span(&empty, 1));
  SLUICE_ASSERT(empty_payload.ok());
  out.Write("batch_fuzzer", "empty_payload", *empty_payload);
}

void WriteSuperblocks(CorpusWriter& out) {
  superblock::SuperblockState formatted;
  formatted.cluster_id = kCluster;
  formatted.replica_index = 1;
  formatted.replica_count = 3;
  for (uint8_t copy = 0; copy < superblock::kSuperblockCopyCount; ++copy) {
    out.Write("superblock_fuzzer", "formatted_copy_" + std::to_string(copy),
              superblock::EncodeSuperblockCopy(formatted, 1, 0, copy));
  }
  superblock::SuperblockState later = formatted;
  later.view = 9;
  later.metadata_log_view = 8;
  later.metadata_checkpoint = {.op = 120, .snapshot_checksum = absl::MakeUint128(0x5A, 0x17)};
  later.metadata_commit_watermark = 130;
  later.partition_log_views = {.op = 4, .checksum = absl::MakeUint128(0x7AB, 0x1E)};
  out.Write("superblock_fuzzer", "updated_copy_2",
            superblock::EncodeSuperblockCopy(later, 17, absl::MakeUint128(0xFA, 0x7E), 2));
  superblock::SuperblockState recovering = formatted;
  recovering.recovering = true;
  recovering.namespace_widths = {.stream_bits = 20, .topic_bits = 20, .partition_bits = 23};
  out.Write("superblock_fuzzer", "recovering_copy_0",
            superblock::EncodeSuperblockCopy(recovering, 1, 0, 0));
}

void WriteRecords(CorpusWriter& out) {
  partition::StateRecord record;
  record.sequence = 6;
  record.incarnation = kIncarnation;
  record.namespace_id = kNamespace;
  record.commit_watermark = 30;
  record.anchor_op = 11;
  record.anchor_parent = kAnchorParent;
  record.segments = {{.first_op = 11, .start_offset = 0},
                     {.first_op = 20, .start_offset = 57},
                     {.first_op = 31, .start_offset = 90}};
  const Bytes slot = partition::EncodeStateRecord(record);
  // The decoder takes the slot's used prefix (a short read of the file's tail).
  out.WriteRecord(0, "state_record_three_segments",
                  ByteSpan(slot).first(partition::kStateRecordHeaderSize + 16 * 3));
  record.segments = {{.first_op = 11, .start_offset = 0}};
  record.log_end_op = 15;
  const Bytes truncated = partition::EncodeStateRecord(record);
  out.WriteRecord(0, "state_record_log_end",
                  ByteSpan(truncated).first(partition::kStateRecordHeaderSize + 16 + 64));

  partition::ConsumerOffsets offsets;
  offsets.applied_op = 44;
  offsets.offsets[{partition::ConsumerKind::kConsumer, 1}] = 10;
  offsets.offsets[{partition::ConsumerKind::kConsumer, 9}] = 0;
  offsets.offsets[{partition::ConsumerKind::kGroup, 1}] = 77;
  out.WriteRecord(1, "consumer_offsets_three",
                  partition::EncodeConsumerOffsets(offsets, {.namespace_id = 0x10001, .incarnation = 7}));
  out.WriteRecord(1, "consumer_offsets_empty",
                  partition::EncodeConsumerOffsets({.applied_op = 3, .offsets = {}}, {}));

  out.WriteRecord(2, "store_offset",
                  partition::EncodeStoreOffset({{partition::ConsumerKind::kGroup, 5}, 1234}));
  out.WriteRecord(3, "delete_offset",
                  partition::EncodeDeleteOffset({partition::ConsumerKind::kConsumer, 8}));
  out.WriteRecord(4, "retention", partition::EncodeRetention(12));

  Bytes index(3 * partition::kIndexEntrySize + 5);  // three entries and a torn fourth
  for (uint64_t i = 0; i < 3; ++i) {
    partition::EncodeIndexEntry(
        {.op = 1 + i, .base_offset = 1000 + 2 * i, .timestamp = 50 + i, .position = 600 * i},
        MutableByteSpan(index).subspan(i * partition::kIndexEntrySize, partition::kIndexEntrySize));
  }
  out.WriteRecord(5, "index_torn_tail", index);
}

// ops 1..5: messages, a consumer-offset store, messages, a retention step, messages.
SegmentBuilder CleanSegment() {
  SegmentBuilder segment;
  segment.Append(Operation::kSendMessages, MakeBatch(2, 1, false), 0);
  segment.Append(Operation::kStoreConsumerOffset,
                 partition::EncodeStoreOffset({{partition::ConsumerKind::kConsumer, 4}, 1001}), 1);
  segment.Append(Operation::kSendMessages, MakeBatch(3, 10, true), 2);
  segment.Append(Operation::kPartitionRetention, partition::EncodeRetention(1), 2);
  segment.Append(Operation::kSendMessages, MakeBatch(1, 20, false), 3);
  return segment;
}

void WriteSegments(CorpusWriter& out) {
  const SegmentBuilder clean = CleanSegment();
  out.Write("segment_scan_fuzzer", "clean_five_entries", clean.log());
  SegmentBuilder six = CleanSegment();
  six.Append(Operation::kPartitionPurge, partition::EncodePurge(1), 5);
  out.Write("segment_scan_fuzzer", "clean_six_entries_truncated_scan", six.log());

  // A torn group commit: the last entry is cut short (uncertain tail, cut on one node).
  const Bytes& log = clean.log();
  out.Write("segment_scan_fuzzer", "torn_tail", ByteSpan(log).first(log.size() - 100));
  // A bit flip in op 2's body: proven durable by the watermark (corrupt, never cut).
  Bytes flipped_durable = log;
  flipped_durable[clean.position(1) + wire::kHeaderSize + 3] ^= 0x10;
  out.Write("segment_scan_fuzzer", "flip_in_durable_op2", flipped_durable);
  // A bit flip in op 4's header: not proven durable, intact op 5 after it whose commit
  // (3) does not reach it (uncertain tail).
  Bytes flipped_tail = log;
  flipped_tail[clean.position(3) + 100] ^= 0x01;
  out.Write("segment_scan_fuzzer", "flip_in_unproven_op4", flipped_tail);
  // A broken hash chain at op 3 (op 3 resealed with another parent): proven by op 5's commit.
  Bytes relinked = log;
  base::StoreU128(MutableByteSpan(relinked).subspan(clean.position(2), wire::kHeaderSize),
                  wire::header_offset::kParent, absl::MakeUint128(1, 2));
  ResealFrame(
      MutableByteSpan(relinked).subspan(clean.position(2), clean.position(3) - clean.position(2)));
  out.Write("segment_scan_fuzzer", "broken_chain_op3", relinked);
}

// --- metadata_codecs_fuzzer (its input format is in metadata_codecs_fuzzer.cc) ---

constexpr uint8_t kModeSnapshot = 0;
constexpr uint8_t kModeState = 1;
constexpr uint8_t kModeBody = 2;
constexpr uint8_t kModeApply = 3;

Bytes Prefixed(std::initializer_list<uint8_t> prefix, ByteSpan bytes) {
  Bytes input(prefix);
  input.insert(input.end(), bytes.begin(), bytes.end());
  return input;
}

// A state with something of everything: a user with a token and a session, a stream
// with a topic, partitions and a consumer group with a member, and pending steps.
metadata::MetadataState PopulatedState() {
  using metadata::Identifier;
  metadata::MetadataState state = metadata::NewMetadataState({});
  uint64_t op = 0;
  uint64_t now_us = 1'700'000'000'000'000;
  const auto apply = [&](Operation operation, const Bytes& body, absl::uint128 client = 0,
                         uint64_t request = 0) {
    const metadata::ApplyResult result = metadata::Apply(state,
                                                         {.op = ++op,
                                                          .operation = operation,
                                                          .timestamp_us = now_us += 1'000'000,
                                                          .client = client,
                                                          .request = request},
                                                         body);
    SLUICE_ASSERT(result.ok(), "populating a metadata state: op ", op, " error ",
                  static_cast<int>(result.error));
  };
  const metadata::PasswordCredential root{.salt = Bytes(16, 0x5A), .hash = Bytes(32, 0x11)};
  apply(Operation::kCreateUser, metadata::Encode(metadata::CreateUserBody{
                                    .name = "root", .password = root, .permissions = Bytes{1, 2}}));
  apply(Operation::kCreatePersonalAccessToken,
        metadata::Encode(metadata::CreateTokenBody{
            .user_id = 0, .name = "ci", .token_hash = Bytes(32, 0x22), .expiry_at_us = 0}));
  apply(Operation::kRegister,
        metadata::Encode(metadata::RegisterBody{
            .user_id = 0, .kind = metadata::LoginKind::kPassword, .proof = root.hash}),
        7, 0);
  apply(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"orders"}));
  apply(Operation::kCreateTopic,
        metadata::Encode(metadata::CreateTopicBody{
            .stream = Identifier::Numeric(0), .partitions_count = 3, .name = "events"}));
  apply(Operation::kCreateConsumerGroup,
        metadata::Encode(metadata::CreateGroupBody{Identifier::Numeric(0),
                                                   Identifier::Named("events"), "billing"}));
  apply(Operation::kJoinConsumerGroup,
        metadata::Encode(metadata::GroupBody{Identifier::Numeric(0), Identifier::Numeric(0),
                                             Identifier::Numeric(0)}),
        7, 1);
  apply(Operation::kCreateStream, metadata::Encode(metadata::CreateStreamBody{"scratch"}));
  apply(Operation::kCreateTopic,
        metadata::Encode(metadata::CreateTopicBody{
            .stream = Identifier::Named("scratch"), .partitions_count = 2, .name = "tmp"}));
  apply(Operation::kDeleteStream,
        metadata::Encode(metadata::StreamBody{Identifier::Named("scratch")}));
  return state;
}

// One valid body per codec, in the order of metadata_codecs_fuzzer.cc's kBodyCodecs.
std::vector<std::pair<std::string, Bytes>> SampleBodies() {
  using metadata::Identifier;
  const metadata::PasswordCredential credential{.salt = Bytes(16, 7), .hash = Bytes(32, 9)};
  return {
      {"register", metadata::Encode(metadata::RegisterBody{
                       .user_id = 1, .kind = metadata::LoginKind::kToken, .proof = Bytes(32, 3)})},
      {"logout_expired", metadata::Encode(metadata::LogoutBody{absl::uint128{42}})},
      {"create_stream", metadata::Encode(metadata::CreateStreamBody{"orders"})},
      {"update_stream",
       metadata::Encode(metadata::UpdateStreamBody{Identifier::Named("orders"), "sales"})},
      {"delete_stream", metadata::Encode(metadata::StreamBody{Identifier::Numeric(1)})},
      {"purge_stream", metadata::Encode(metadata::StreamBody{Identifier::Named("orders")})},
      {"create_topic",
       metadata::Encode(metadata::CreateTopicBody{.stream = Identifier::Numeric(1),
                                                  .partitions_count = 3,
                                                  .name = "events",
                                                  .settings = {.compression_algorithm = 2,
                                                               .message_expiry_us = 60'000'000,
                                                               .max_topic_size_bytes = 1 << 30,
                                                               .segment_size_bytes = 1 << 20}})},
      {"update_topic",
       metadata::Encode(metadata::UpdateTopicBody{
           Identifier::Numeric(1), Identifier::Named("events"), "events2",
           metadata::kUpdateCompression | metadata::kUpdateMaxTopicSize, 2, 0, 4096})},
      {"delete_topic",
       metadata::Encode(metadata::TopicBody{Identifier::Numeric(1), Identifier::Numeric(0)})},
      {"purge_topic", metadata::Encode(metadata::TopicBody{Identifier::Named("orders"),
                                                           Identifier::Named("events")})},
      {"create_partitions", metadata::Encode(metadata::PartitionsBody{Identifier::Numeric(1),
                                                                      Identifier::Numeric(0), 4})},
      {"delete_partitions", metadata::Encode(metadata::PartitionsBody{Identifier::Numeric(1),
                                                                      Identifier::Numeric(0), 1})},
      {"create_group", metadata::Encode(metadata::CreateGroupBody{
                           Identifier::Numeric(1), Identifier::Numeric(0), "billing"})},
      {"delete_group",
       metadata::Encode(metadata::GroupBody{Identifier::Numeric(1), Identifier::Numeric(0),
                                            Identifier::Named("billing")})},
      {"join_group", metadata::Encode(metadata::GroupBody{
                         Identifier::Numeric(1), Identifier::Numeric(0), Identifier::Numeric(0)})},
      {"leave_group",
       metadata::Encode(metadata::GroupBody{Identifier::Numeric(1), Identifier::Named("events"),
                                            Identifier::Numeric(0)})},
      {"create_user", metadata::Encode(metadata::CreateUserBody{
                          "alice", credential, metadata::UserStatus::kInactive, Bytes{1, 0, 1}})},
      {"update_user", metadata::Encode(metadata::UpdateUserBody{Identifier::Numeric(1), "alicia",
                                                                metadata::UserStatus::kActive})},
      {"delete_user", metadata::Encode(metadata::UserBody{Identifier::Named("alice")})},
      {"change_password",
       metadata::Encode(metadata::ChangePasswordBody{
           Identifier::Numeric(1), Bytes(32, 9), {.salt = Bytes(16, 8), .hash = Bytes(32, 10)}})},
      {"update_permissions",
       metadata::Encode(metadata::UpdatePermissionsBody{Identifier::Numeric(1), std::nullopt})},
      {"create_token",
       metadata::Encode(metadata::CreateTokenBody{.user_id = 1,
                                                  .name = "ci",
                                                  .token_hash = Bytes(32, 3),
                                                  .expiry_at_us = 1'800'000'000'000'000})},
      {"delete_token", metadata::Encode(metadata::DeleteTokenBody{.user_id = 1, .name = "ci"})},
      {"complete_step", metadata::Encode(metadata::CompleteStepBody{.step_id = 1})},
  };
}

void WriteMetadata(CorpusWriter& out) {
  const std::string target = "metadata_codecs_fuzzer";
  const metadata::MetadataState empty = metadata::NewMetadataState({});
  const metadata::MetadataState populated = PopulatedState();
  out.Write(target, "snapshot_empty",
            Prefixed({kModeSnapshot}, metadata::EncodeSnapshot(empty).bytes));
  out.Write(target, "snapshot_populated",
            Prefixed({kModeSnapshot}, metadata::EncodeSnapshot(populated).bytes));
  out.Write(target, "state_populated", Prefixed({kModeState}, metadata::EncodeState(populated)));
  const std::vector<std::pair<std::string, Bytes>> bodies = SampleBodies();
  for (size_t index = 0; index < bodies.size(); ++index) {
    out.Write(target, "body_" + bodies[index].first,
              Prefixed({kModeBody, static_cast<uint8_t>(index)}, bodies[index].second));
  }
  // Ops built from four bytes each (random_ops.h): a deterministic mix, small widths
  // (flags bit 0) and the root user first (bit 1).
  Bytes built{kModeApply, 3};
  uint64_t state = 0x5EED;
  for (int record = 0; record < 48; ++record) {
    const uint64_t draw = base::SplitMix64Next(state);
    for (int shift = 0; shift < 32; shift += 8)
      built.push_back(static_cast<uint8_t>(draw >> shift));
    built[built.size() - 4] &= 0x7F;  // a built op, not a raw one
  }
  out.Write(target, "apply_built_ops", built);
  // Raw records: each sample body sent by the primary (client 0) after an hour,
  // then by client 1 (no session: unauthenticated), then a truncated copy.
  Bytes raw{kModeApply, 2};
  for (size_t index = 0; index < bodies.size(); ++index) {
    const Bytes& body = bodies[index].second;
    for (const uint8_t client : {uint8_t{0}, uint8_t{1}}) {
      raw.insert(raw.end(), {uint8_t{0x80 | 32}, static_cast<uint8_t>(index), client,
                             static_cast<uint8_t>(body.size())});
      raw.insert(raw.end(), body.begin(), body.end());
    }
    raw.insert(raw.end(), {uint8_t{0x80}, static_cast<uint8_t>(index), 0,
                           static_cast<uint8_t>(body.size() / 2)});
    raw.insert(raw.end(), body.begin(), body.begin() + body.size() / 2);
  }
  out.Write(target, "apply_raw_bodies", raw);
}

// Programs for the journal_recovery target (journal_program.h): one per recovery
// decision at least, so the checked-in corpus reaches every one (decision_counts).
void WriteJournalPrograms(CorpusWriter& out) {
  namespace program = journal_program;
  using program::BaseLogKind;
  using program::CheckpointMode;
  using program::Field;
  using program::ProgramWriter;
  using program::WatermarkMode;
  const journal::JournalLayout layout(program::FuzzJournalOptions());
  const auto header_at = [&](uint64_t slot, uint64_t field) {
    return static_cast<uint16_t>(layout.HeaderOffset(slot) + field);
  };
  const auto prepare_at = [&](uint64_t slot, uint64_t position) {
    return static_cast<uint16_t>(layout.PrepareOffset(slot) + position);
  };
  const auto write = [&out](const std::string& name, const ProgramWriter& writer) {
    out.Write("journal_recovery_fuzzer", name, writer.bytes());
  };
  constexpr uint8_t kBoth = program::kBothCopies;
  constexpr uint8_t kHeader = program::kHeaderCopy;
  constexpr size_t kBody = wire::kHeaderSize + 3;

  // Valid WALs as written: every slot valid or empty; a wrapped ring's earlier-wrap
  // slots beyond the head are collisions.
  write("clean_three", ProgramWriter(BaseLogKind::kThree, false));
  write("clean_wrapped", ProgramWriter(BaseLogKind::kWrapped, false));
  write("clean_views_cluster", ProgramWriter(BaseLogKind::kViews, true));
  // A torn last write (its header copy landed): torn, cut on a single node.
  write("torn_last_op", ProgramWriter(BaseLogKind::kThree, false).FlipBit(prepare_at(3, kBody), 2));
  // The first entry of a group commit torn, the rest whole: an uncertain tail.
  write("torn_group_head",
        ProgramWriter(BaseLogKind::kSixGroup, false).ZeroRange(prepare_at(4, 200), 99));
  write("torn_group_head_cluster",
        ProgramWriter(BaseLogKind::kSixGroup, true).ZeroRange(prepare_at(4, 200), 99));
  // A proven op damaged: a single node refuses (DataLoss), a replica marks it faulty.
  write("flip_proven_op2",
        ProgramWriter(BaseLogKind::kThree, false, CheckpointMode::kBase, 0, WatermarkMode::kLastOp)
            .FlipBit(prepare_at(2, kBody), 5));
  write("flip_proven_op2_cluster",
        ProgramWriter(BaseLogKind::kThree, true, CheckpointMode::kBase, 0, WatermarkMode::kLastOp)
            .FlipBit(prepare_at(2, kBody), 5));
  // Resealed with another parent: whole but not linked (a chain break).
  write("chain_break_op2",
        ProgramWriter(BaseLogKind::kThree, false).EditField(2, kBoth, Field::kParent, 0x1234));
  write("chain_break_proven_op2_cluster",
        ProgramWriter(BaseLogKind::kSixGroup, true, CheckpointMode::kBase, 0,
                      WatermarkMode::kBasePlus, 3)
            .EditField(2, kBoth, Field::kParent, 0x1234));
  // Another checkpoint: its true checksum, then a wrong one.
  write("checkpoint_op2",
        ProgramWriter(BaseLogKind::kSixGroup, false, CheckpointMode::kOtherOp, 2));
  write("checkpoint_bad_checksum_cluster",
        ProgramWriter(BaseLogKind::kThree, true, CheckpointMode::kOtherOpBadChecksum, 1));
  // A body edit resealed and the chain relinked after it: accepted as written.
  write("body_edit_relinked",
        ProgramWriter(BaseLogKind::kSixGroup, false).EditBody(2, 1, 'X').Relink(2, 4));
  // A leftover of an older view that does not link: a collision, not a write.
  write("stale_view_leftover", ProgramWriter(BaseLogKind::kViews, false)
                                   .EditField(7, kBoth, Field::kView, 1)
                                   .EditField(7, kBoth, Field::kParent, 77));
  // A lost header copy repaired from its whole prepare; a header copy naming
  // another op; two slots swapped.
  write("header_copy_zeroed", ProgramWriter(BaseLogKind::kThree, false).ZeroSlot(2, kHeader));
  write("header_copy_edited_op",
        ProgramWriter(BaseLogKind::kFullRing, true).EditField(5, kHeader, Field::kOp, 13));
  write("slots_swapped", ProgramWriter(BaseLogKind::kFullRing, true).SwapSlots(2, 5, kBoth));
  write("slot_duplicated", ProgramWriter(BaseLogKind::kThree, false).CopySlot(1, 3, kBoth));
  // An unreadable sector in the last op's prepare, and in the headers zone.
  write("bad_sector_last_op",
        ProgramWriter(BaseLogKind::kThree, false).LatentError(prepare_at(3, 0)));
  write("bad_sector_headers",
        ProgramWriter(BaseLogKind::kWrapped, true).LatentError(header_at(2, 0)));
  // What recovery refuses before deciding anything.
  write("file_truncated",
        ProgramWriter(BaseLogKind::kThree, false).Resize(program::ResizeMode::kShrinkBy, 511));
  write("file_removed", ProgramWriter(BaseLogKind::kThree, false).Remove());
  write("watermark_beyond_ring", ProgramWriter(BaseLogKind::kThree, false, CheckpointMode::kBase, 0,
                                               WatermarkMode::kArgument, program::kSlotCount + 1));
  write("ops_beyond_checkpoint",
        ProgramWriter(BaseLogKind::kWrapped, false, CheckpointMode::kNone));
}

// Programs over the bootstrap target's base directory (bootstrap_image.h). Files are
// named by class and ordinal, sorted by path: segment logs 0..6 are partition 0/0/0's
// seven segments (6 the active one), 7..10 the other partitions' single segments (9:
// partition 1/0/1, created by op 40, above the checkpoint op 39); state records and
// partitions 0..4 are 0/0/0, 0/0/1, 1/0/0, 1/0/1, 1/1/0. WAL units 0..15 are header
// copies, 16..31 prepares (op 40 in slot 8, op 41 in slot 9).
void WriteBootstrapPrograms(CorpusWriter& out) {
  namespace program = bootstrap_program;
  using program::CloneKind;
  using program::EntryField;
  using program::FileClass;
  using program::ProgramWriter;
  using program::RecordField;
  using program::StateEdit;
  using program::SuperblockField;
  using File = ProgramWriter::File;
  const auto write = [&out](const std::string& name, const ProgramWriter& writer) {
    out.Write("bootstrap_fuzzer", name, writer.bytes());
  };
  constexpr File kSuperblock{FileClass::kSuperblock, 0};
  constexpr File kWal{FileClass::kWal, 0};
  constexpr File kSnapshot{FileClass::kSnapshot, 0};
  const auto log = [](uint8_t ordinal) { return File{FileClass::kSegmentLog, ordinal}; };
  const auto index = [](uint8_t ordinal) { return File{FileClass::kSegmentIndex, ordinal}; };
  const auto record = [](uint8_t ordinal) { return File{FileClass::kStateRecord, ordinal}; };
  const auto offsets = [](uint8_t ordinal) {
    return File{FileClass::kConsumerOffsets, ordinal};
  };
  constexpr uint16_t kLast = program::kFromLast;  // the last unit (entry) of a file

  // The directory as the replica left it, and with rule B3's opt-in.
  write("clean", ProgramWriter());
  write("clean_clamp", ProgramWriter(program::kClampFlag));
  // Rule B17: no superblock, or three copies of four damaged.
  write("superblock_removed", ProgramWriter().Remove(kSuperblock));
  write("superblock_three_copies_zeroed", ProgramWriter()
                                              .ZeroRange(kSuperblock, {0, 0}, 4095)
                                              .ZeroRange(kSuperblock, {1, 0}, 4095)
                                              .ZeroRange(kSuperblock, {2, 0}, 4095));
  write("superblock_one_copy_flipped", ProgramWriter().FlipBit(kSuperblock, {3, 100}, 2));
  // Rule B6: the snapshot damaged, or another snapshot than the superblock names.
  write("snapshot_flipped", ProgramWriter().FlipBit(kSnapshot, {3, 5}, 4));
  write("snapshot_resealed_not_named", ProgramWriter().EditSnapshot(20, 0x41, false));
  write("wal_removed", ProgramWriter().Remove(kWal));
  write("wal_truncated", ProgramWriter().Truncate(kWal, {31, 0}));
  // Rule B5: files the state record or the checkpoint names are missing.
  write("active_segment_removed", ProgramWriter().Remove(log(6)));
  write("sealed_segment_removed", ProgramWriter().Remove(log(2)));
  write("state_record_removed", ProgramWriter().Remove(record(0)));
  write("consumer_offsets_removed", ProgramWriter().Remove(offsets(0)));
  // ... and the record's newer slot damaged after a roll: the active segment is not a
  // stray (found by this target; refused, never dropped).
  write("state_record_newer_slot_flipped", ProgramWriter().FlipBit(record(0), {0, 0}, 0));
  write("state_record_older_slot_flipped", ProgramWriter().FlipBit(record(0), {1, 40}, 3));
  // Rule B7: committed entries damaged (a sealed segment; a proven WAL op).
  write("sealed_entry_flipped", ProgramWriter().FlipBit(log(1), {5, 600}, 1));
  write("active_entry_below_watermark_flipped", ProgramWriter().FlipBit(log(6), {1, 700}, 6));
  write("wal_proven_op_flipped", ProgramWriter().FlipBit(kWal, {24, 300}, 0));
  write("segments_swapped", ProgramWriter().SwapFiles(log(2), log(3)));
  write("segment_duplicated", ProgramWriter().CopyFile(log(4), log(5)));
  write("sealed_segment_truncated", ProgramWriter().Truncate(log(3), {4, 100}));
  // The active segment cut at an entry boundary below its record's watermark: the
  // scan sees a clean log, the watermark proves entries are missing (found by this
  // target; refused).
  write("active_segment_cut_at_entry_boundary", ProgramWriter().Truncate(log(7), {5, 0}));
  write("bad_sector_in_segment", ProgramWriter().LatentError(log(0), {2, 10}));
  // An uncertain tail: the last entry torn, nothing proves it durable (cut).
  write("last_entry_torn", ProgramWriter().FlipBit(log(6), {kLast, 300}, 5));
  write("last_entry_cut_short", ProgramWriter().Truncate(log(6), {kLast, 1000}));
  write("small_partition_tail_torn", ProgramWriter().ZeroRange(log(8), {kLast, 200}, 300));
  // Rule B2: the index is derived data, rebuilt from the log.
  write("index_entry_rewritten", ProgramWriter().EditIndex(0, 3, 3, 12345));
  write("index_removed", ProgramWriter().Remove(index(6)));
  write("index_truncated", ProgramWriter().Truncate(index(2), {4, 0}));
  write("index_extended", ProgramWriter().Extend(index(6), 40, 0xAB));
  // Strays and stale incarnations: removed (a stray above the record's last segment
  // that holds entries is refused instead, see above).
  write("stray_segment_below", ProgramWriter().CloneAs(log(3), CloneKind::kSegmentLog, 5));
  write("stray_segment_above", ProgramWriter().CloneAs(log(3), CloneKind::kSegmentLog, 500));
  write("stray_temporary", ProgramWriter().CloneAs(record(1), CloneKind::kTemporary, 0));
  write("stale_incarnation_directory",
        ProgramWriter().CloneAs(log(7), CloneKind::kStaleIncarnation, 2));
  write("future_incarnation_directory",
        ProgramWriter().CloneAs(log(7), CloneKind::kStaleIncarnation, 900));
  // A partition created by an op replayed at boot (1/0/1, op 40): with no record and
  // no entries it is created again; with entries and no record it is refused.
  write("replayed_partition_cut_short",
        ProgramWriter().Remove(record(3)).Truncate(log(9), {0, 0}));
  write("replayed_partition_record_lost", ProgramWriter().Remove(record(3)));
  // The WAL's last ops lost together (nothing proves them), so op 40's partition
  // directory is the only evidence that it committed: refused (found by this target).
  write("wal_tail_zeroed", ProgramWriter()
                               .ZeroRange(kWal, {8, 0}, 255)
                               .ZeroRange(kWal, {24, 0}, 4095)
                               .ZeroRange(kWal, {9, 0}, 255)
                               .ZeroRange(kWal, {25, 0}, 4095));
  write("wal_last_op_zeroed",
        ProgramWriter().ZeroRange(kWal, {9, 0}, 255).ZeroRange(kWal, {25, 0}, 4095));
  // Rule B3: an offset beyond the log end (refused; clamped with the opt-in).
  write("consumer_offset_beyond_end", ProgramWriter().EditOffsets(0, 36, 0x01));
  write("consumer_offset_beyond_end_clamp",
        ProgramWriter(program::kClampFlag).EditOffsets(0, 36, 0x01));
  // Another partition's offsets checkpoint in place of this one's (refused: the
  // checkpoint names its owner, rule B3).
  write("consumer_offsets_of_another_partition", ProgramWriter().CopyFile(offsets(1), offsets(3)));
  // Resealed edits: consistent writes the recovery must judge on content.
  write("entry_payload_resealed", ProgramWriter().EditEntry(4, 3, EntryField::kBodyByte, 0x1234));
  write("entry_op_resealed", ProgramWriter().EditEntry(6, 2, EntryField::kOp, 7));
  write("entry_commit_resealed", ProgramWriter().EditEntry(6, kLast, EntryField::kCommit, 1000));
  write("batch_offset_resealed",
        ProgramWriter().EditEntry(6, 4, EntryField::kBatchBaseOffset, 9));
  write("entry_edit_relinked",
        ProgramWriter().EditEntry(2, 1, EntryField::kBodyByte, (600 << 8) | 0x42).Relink(0));
  write("entry_resealed_after_damage",
        ProgramWriter().FlipBit(log(6), {3, 500}, 1).ResealEntry(6, 3));
  write("record_watermark_raised",
        ProgramWriter().EditRecord(0, 0, RecordField::kCommitWatermark, 1000));
  write("record_last_segment_dropped",
        ProgramWriter().EditRecord(0, 2, RecordField::kDropLastSegment, 0));
  write("record_log_end_set", ProgramWriter().EditRecord(0, 0, RecordField::kLogEndOp, 130));
  write("record_start_offset_moved",
        ProgramWriter().EditRecord(0, 0, RecordField::kSegmentStartOffset,
                                   (uint64_t{3} << 48) | 77));
  write("record_incarnation_changed",
        ProgramWriter().EditRecord(2, 2, RecordField::kIncarnation, 6));
  write("superblock_watermark_raised",
        ProgramWriter().EditSuperblock(0, SuperblockField::kCommitWatermark, 41));
  write("superblock_checkpoint_moved",
        ProgramWriter().EditSuperblock(0, SuperblockField::kCheckpointOp, 30));
  write("superblock_two_copies_newer",
        ProgramWriter().EditSuperblock(3, SuperblockField::kSequence, 99));
  write("snapshot_resealed_and_named", ProgramWriter().EditSnapshot(30, 0x20, true));
  write("state_topic_removed", ProgramWriter().EditState(StateEdit::kRemoveTopic, 0, 0));
  write("state_partition_added",
        ProgramWriter().EditState(StateEdit::kAddPartition, 1, 35));
  write("state_partition_added_uncovered",
        ProgramWriter().EditState(StateEdit::kAddPartition, 1, 45));
  write("state_incarnation_changed",
        ProgramWriter().EditState(StateEdit::kSetIncarnation, 2, 3));
  write("state_pending_deletion",
        ProgramWriter().EditState(StateEdit::kAddPendingDeletion, 1, 0));
  write("wal_op_resealed", ProgramWriter().EditWal(9, EntryField::kBodyByte, 0x0105));
  write("wal_commit_resealed", ProgramWriter().EditWal(8, EntryField::kCommit, 41));
}

// Client request frames: every sample request as the SDK encodes it (mode 1, and raw
// in mode 0), some with a stamped request checksum, and a few malformed ones.
void WriteClientFrames(CorpusWriter& out) {
  const std::vector<client_protocol::Command> samples =
      client_protocol::testing::SampleCommands();
  for (size_t index = 0; index < samples.size(); ++index) {
    const std::string code(client_protocol::CommandCodeName(client_protocol::CodeOf(samples[index])));
    const std::string name = absl::StrCat(index, "_", code);
    out.Write("client_frame_fuzzer", "sample_" + name,
              Bytes{1, static_cast<uint8_t>(index), static_cast<uint8_t>(index % 2 ? 8 : 0)});
    const bool registering =
        client_protocol::OperationOf(samples[index]) == wire::Operation::kRegister;
    Bytes raw{0};
    const Bytes frame = client_protocol::EncodeClientFrame(
        {.client = 7, .request = registering ? 0u : 3u, .session = registering ? 0u : 5u},
        samples[index]);
    raw.insert(raw.end(), frame.begin(), frame.end());
    out.Write("client_frame_fuzzer", "raw_" + name, raw);
  }
  // A body replaced by garbage; a header-only frame for a command with a body.
  out.Write("client_frame_fuzzer", "garbage_body", Bytes{2, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  out.Write("client_frame_fuzzer", "empty_body", Bytes{2, 11, 0});
  // Edits of a SendMessages frame: a message count and a payload byte.
  out.Write("client_frame_fuzzer", "send_messages_edited",
            Bytes{1, 23, 0, 0x10, 0x01, 0x05, 0x40, 0x01, 0x7A});
  out.Write("client_frame_fuzzer", "short_frame", Bytes{0, 1, 2, 3});
}

}  // namespace
}  // namespace sluice::fuzz

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIRECTORY\n", argv[0]);
    return 2;
  }
  std::filesystem::path root(argv[1]);
  // Under `bazel run` the working directory is the runfiles tree; resolve a relative
  // path against the workspace instead.
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY");
      workspace != nullptr && root.is_relative()) {
    root = std::filesystem::path(workspace) / root;
  }
  sluice::fuzz::CorpusWriter out(root);
  sluice::fuzz::WritePrepares(out);
  sluice::fuzz::WriteBatches(out);
  sluice::fuzz::WriteSuperblocks(out);
  sluice::fuzz::WriteRecords(out);
  sluice::fuzz::WriteSegments(out);
  sluice::fuzz::WriteJournalPrograms(out);
  sluice::fuzz::WriteMetadata(out);
  sluice::fuzz::WriteBootstrapPrograms(out);
  sluice::fuzz::WriteClientFrames(out);
  std::printf("wrote %d seed inputs under %s\n", out.written(), root.c_str());
  return 0;
}
