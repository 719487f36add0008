// Fuzz target: the metadata state machine's decoders and its transition — snapshot
// files (core/metadata/snapshot_codec.h), encoded states (state_codec.h), op bodies
// (body_codec.h), and Apply (apply.h) on bodies that may not decode.
//
// Input: byte 0 mod 4 selects the mode; the rest is
//   0 snapshot  a snapshot file, decoded as given and resealed (body length and
//               checksum recomputed), with the op and checksum its header names;
//   1 state     an encoded state (a snapshot's body);
//   2 body      byte 1 picks an op's body decoder (mod kBodyCodecs), the rest is the body;
//   3 apply     byte 1: bit 0 small namespace widths and client table, bit 1 create
//               the root user first; then up to kRecordsMax records, each either
//               [kind < 0x80][a][b][c]: an op built by metadata/testing/random_ops.h
//               from those four bytes against the current state (valid bodies,
//               logins with the right or a wrong password), or
//               [0x80 | time][operation][client][length][length bytes of body]:
//               any operation (mod kApplyOperations) with a raw body, after advancing
//               the clock by 2^(time mod 48) µs; client bits 0-1 pick client 0..3
//               (0: an op made by the primary), bits 2-3 its request number (next,
//               a repeat of the last, an older one).
//
// Oracles (beyond no crash and no sanitizer report):
//  - whatever decodes re-encodes to exactly the input (every codec is canonical) and
//    decodes again to the same value; a snapshot decoded with another op or checksum
//    than its header's is InvalidArgument;
//  - Apply: after every op the state encodes and decodes back to itself (DecodeState
//    checks its invariants); an op made by the primary whose body its decoder
//    rejects, and any operation Apply does not know, is kInvalidCommand and changes
//    nothing but last_applied_op; replaying the same ops on a fresh state gives the
//    same results and the same state (deterministic apply); the final state's
//    snapshot decodes to it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/snapshot_codec.h"
#include "core/metadata/state_codec.h"
#include "core/metadata/testing/random_ops.h"
#include "core/metadata/testing/test_primary.h"
#include "core/wire/operation.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

using metadata::ApplyResult;
using metadata::MetadataState;
using metadata::OpContext;
using wire::Operation;

constexpr size_t kRecordsMax = 64;
constexpr size_t kSnapshotOpOffset = 16;
constexpr size_t kSnapshotBodyLengthOffset = 24;
constexpr size_t kSnapshotChecksumOffset = 32;

// --- body codecs ------------------------------------------------------------------

// Decodes `bytes` with `Decode`; if it decodes, checks the round trip and that the
// encoding is canonical. Returns the decoder's status.
template <auto Decode>
absl::Status CheckBody(ByteSpan bytes) {
  const auto decoded = Decode(bytes);
  if (!decoded.ok()) {
    SLUICE_ASSERT(decoded.status().code() == absl::StatusCode::kInvalidArgument,
                  "a body decoder returned ", decoded.status().ToString());
    return decoded.status();
  }
  const Bytes encoded = metadata::Encode(*decoded);
  SLUICE_ASSERT(std::equal(encoded.begin(), encoded.end(), bytes.begin(), bytes.end()),
                "a decoded body re-encodes to other bytes (", encoded.size(), " bytes, input ",
                bytes.size(), ")");
  const auto again = Decode(encoded);
  SLUICE_ASSERT(again.ok() && *again == *decoded, "a body's encoding does not decode to it");
  return absl::OkStatus();
}

struct BodyCodec {
  Operation operation;
  absl::Status (*check)(ByteSpan bytes);
};

constexpr BodyCodec kBodyCodecs[] = {
    {Operation::kRegister, &CheckBody<metadata::DecodeRegister>},
    {Operation::kLogout, &CheckBody<metadata::DecodeLogout>},
    {Operation::kCreateStream, &CheckBody<metadata::DecodeCreateStream>},
    {Operation::kUpdateStream, &CheckBody<metadata::DecodeUpdateStream>},
    {Operation::kDeleteStream, &CheckBody<metadata::DecodeStreamBody>},
    {Operation::kPurgeStream, &CheckBody<metadata::DecodeStreamBody>},
    {Operation::kCreateTopic, &CheckBody<metadata::DecodeCreateTopic>},
    {Operation::kUpdateTopic, &CheckBody<metadata::DecodeUpdateTopic>},
    {Operation::kDeleteTopic, &CheckBody<metadata::DecodeTopicBody>},
    {Operation::kPurgeTopic, &CheckBody<metadata::DecodeTopicBody>},
    {Operation::kCreatePartitions, &CheckBody<metadata::DecodePartitions>},
    {Operation::kDeletePartitions, &CheckBody<metadata::DecodePartitions>},
    {Operation::kCreateConsumerGroup, &CheckBody<metadata::DecodeCreateGroup>},
    {Operation::kDeleteConsumerGroup, &CheckBody<metadata::DecodeGroupBody>},
    {Operation::kJoinConsumerGroup, &CheckBody<metadata::DecodeGroupBody>},
    {Operation::kLeaveConsumerGroup, &CheckBody<metadata::DecodeGroupBody>},
    {Operation::kCreateUser, &CheckBody<metadata::DecodeCreateUser>},
    {Operation::kUpdateUser, &CheckBody<metadata::DecodeUpdateUser>},
    {Operation::kDeleteUser, &CheckBody<metadata::DecodeUserBody>},
    {Operation::kChangePassword, &CheckBody<metadata::DecodeChangePassword>},
    {Operation::kUpdatePermissions, &CheckBody<metadata::DecodeUpdatePermissions>},
    {Operation::kCreatePersonalAccessToken, &CheckBody<metadata::DecodeCreateToken>},
    {Operation::kDeletePersonalAccessToken, &CheckBody<metadata::DecodeDeleteToken>},
    {Operation::kCompletePartitionStep, &CheckBody<metadata::DecodeCompleteStep>},
};
constexpr size_t kBodyCodecCount = sizeof(kBodyCodecs) / sizeof(kBodyCodecs[0]);

// The raw operations apply mode sends: every body codec's, and two Apply must
// refuse (a partition operation, and Reserved).
constexpr size_t kApplyOperations = kBodyCodecCount + 2;
Operation ApplyOperation(uint8_t selector) {
  const size_t index = selector % kApplyOperations;
  if (index < kBodyCodecCount) return kBodyCodecs[index].operation;
  return index == kBodyCodecCount ? Operation::kSendMessages : Operation::kReserved;
}
const BodyCodec* CodecOf(Operation operation) {
  for (const BodyCodec& codec : kBodyCodecs) {
    if (codec.operation == operation) return &codec;
  }
  return nullptr;
}

// --- states and snapshots ------------------------------------------------------------

void CheckStateRoundTrip(const MetadataState& state) {
  const Bytes encoded = metadata::EncodeState(state);
  const absl::StatusOr<MetadataState> decoded = metadata::DecodeState(encoded);
  SLUICE_ASSERT(decoded.ok(),
                "a state Apply produced does not decode: ", decoded.status().ToString());
  SLUICE_ASSERT(*decoded == state, "a state does not decode to itself");
}

void CheckSnapshotRoundTrip(const MetadataState& state) {
  const metadata::EncodedSnapshot snapshot = metadata::EncodeSnapshot(state);
  const absl::StatusOr<MetadataState> decoded =
      metadata::DecodeSnapshot(snapshot.bytes, state.last_applied_op, snapshot.checksum);
  SLUICE_ASSERT(decoded.ok() && *decoded == state,
                "a state's snapshot does not decode to it: ", decoded.status().ToString());
}

void CheckState(ByteSpan bytes) {
  const absl::StatusOr<MetadataState> state = metadata::DecodeState(bytes);
  if (!state.ok()) return;
  const Bytes encoded = metadata::EncodeState(*state);
  SLUICE_ASSERT(std::equal(encoded.begin(), encoded.end(), bytes.begin(), bytes.end()),
                "a decoded state re-encodes to other bytes (state_codec.h: canonical)");
  CheckSnapshotRoundTrip(*state);
}

void CheckSnapshot(ByteSpan bytes) {
  if (bytes.size() < metadata::kSnapshotHeaderSize) {
    SLUICE_ASSERT(!metadata::DecodeSnapshot(bytes, 0, 0).ok(), "a torn snapshot decoded");
    return;
  }
  const uint64_t op = base::LoadLittleEndian<uint64_t>(bytes, kSnapshotOpOffset);
  const absl::uint128 checksum = base::LoadU128(bytes, kSnapshotChecksumOffset);
  const absl::StatusOr<MetadataState> state = metadata::DecodeSnapshot(bytes, op, checksum);
  if (!state.ok()) return;
  const metadata::EncodedSnapshot encoded = metadata::EncodeSnapshot(*state);
  SLUICE_ASSERT(
      encoded.checksum == checksum &&
          std::equal(encoded.bytes.begin(), encoded.bytes.end(), bytes.begin(), bytes.end()),
      "a decoded snapshot re-encodes to other bytes");
  SLUICE_ASSERT(metadata::DecodeSnapshot(bytes, op + 1, checksum).status().code() ==
                    absl::StatusCode::kInvalidArgument,
                "a snapshot loaded under another op");
  SLUICE_ASSERT(metadata::DecodeSnapshot(bytes, op, checksum + 1).status().code() ==
                    absl::StatusCode::kInvalidArgument,
                "a snapshot loaded against another checksum");
}

// The body length and checksum a writer would have put there (snapshot_codec.h).
Bytes ResealSnapshot(ByteSpan bytes) {
  Bytes resealed(bytes.begin(), bytes.end());
  if (resealed.size() < metadata::kSnapshotHeaderSize) return resealed;
  const MutableByteSpan span(resealed);
  base::StoreLittleEndian<uint64_t>(span, kSnapshotBodyLengthOffset,
                                    resealed.size() - metadata::kSnapshotHeaderSize);
  Bytes covered(resealed.begin(), resealed.begin() + kSnapshotChecksumOffset);
  covered.insert(covered.end(), resealed.begin() + metadata::kSnapshotHeaderSize, resealed.end());
  base::StoreU128(span, kSnapshotChecksumOffset, base::Checksum128(covered));
  return resealed;
}

// --- apply -------------------------------------------------------------------------

class Reader {
 public:
  explicit Reader(ByteSpan input) : input_(input) {}
  bool done() const { return position_ >= input_.size(); }
  uint8_t U8() { return position_ < input_.size() ? input_[position_++] : 0; }
  ByteSpan Take(size_t length) {
    const size_t taken = std::min(length, input_.size() - position_);
    const ByteSpan bytes = input_.subspan(position_, taken);
    position_ += taken;
    return bytes;
  }

 private:
  ByteSpan input_;
  size_t position_ = 0;
};

struct AppliedOp {
  OpContext context;
  Bytes body;
  ApplyResult result;
};

// A raw record's request number: the next one, a repeat of the last, or an older one.
uint64_t RequestOf(metadata::testing::MetadataDriver& driver, absl::uint128 client, uint8_t mode,
                   uint64_t next) {
  const uint64_t last = next - 1;
  switch (mode % 4) {
    case 1:
      driver.last_request[client] = last;
      return last;
    case 2:
      driver.last_request[client] = last;
      return last == 0 ? 0 : last - 1;
    default:
      return next;
  }
}

void ApplyRaw(uint8_t tag, Reader& reader, metadata::testing::MetadataDriver& driver,
              std::vector<AppliedOp>& applied) {
  const Operation operation = ApplyOperation(reader.U8());
  const uint8_t client_selector = reader.U8();
  const ByteSpan body = reader.Take(reader.U8());
  driver.AdvanceTimeUs(uint64_t{1} << ((tag & 0x3F) % 48));
  const absl::uint128 client = client_selector & 3;
  OpContext context = driver.NextContext(operation, client);
  if (client != 0 && operation != Operation::kRegister) {
    context.request = RequestOf(driver, client, client_selector >> 2, context.request);
  }
  const MetadataState before = driver.state;
  const ApplyResult result = metadata::Apply(driver.state, context, body);
  const BodyCodec* codec = CodecOf(operation);
  const bool refused = codec == nullptr || (client == 0 && !codec->check(body).ok());
  if (refused) {
    SLUICE_ASSERT(result.error == metadata::ErrorCode::kInvalidCommand && result.payload.empty(),
                  "operation ", static_cast<int>(operation),
                  " with a body its decoder refuses was not kInvalidCommand");
    MetadataState expected = before;
    expected.last_applied_op = context.op;
    SLUICE_ASSERT(driver.state == expected, "operation ", static_cast<int>(operation),
                  " with a body its decoder refuses changed the state");
  }
  applied.push_back({context, Bytes(body.begin(), body.end()), result});
}

void CheckApply(Reader& reader) {
  const uint8_t flags = reader.U8();
  const metadata::MetadataConfig config =
      flags & 1 ? metadata::testing::SmallConfig() : metadata::MetadataConfig{};
  metadata::testing::MetadataDriver driver(config);
  metadata::testing::TestPrimary primary;
  std::vector<AppliedOp> applied;
  if (flags & 2) {
    const Bytes body = metadata::testing::RootUserBody(primary);
    const OpContext context = driver.NextContext(Operation::kCreateUser, 0);
    applied.push_back({context, body, metadata::Apply(driver.state, context, body)});
    SLUICE_ASSERT(applied.back().result.ok(), "creating the root user");
  }
  for (size_t count = 0; count < kRecordsMax && !reader.done(); ++count) {
    const uint8_t tag = reader.U8();
    if (tag & 0x80) {
      ApplyRaw(tag, reader, driver, applied);
    } else {
      metadata::testing::OpSeed seed{.kind = tag};
      seed.a = reader.U8();
      seed.b = reader.U8();
      seed.c = reader.U8();
      const metadata::testing::BuiltOp op = metadata::testing::BuildOp(seed, driver.state, primary);
      const OpContext context = driver.NextContext(op.operation, op.client);
      applied.push_back({context, op.body, metadata::Apply(driver.state, context, op.body)});
    }
    CheckStateRoundTrip(driver.state);
  }
  // Deterministic apply: the same ops from the same state, the same results.
  MetadataState replica = metadata::NewMetadataState(config);
  for (const AppliedOp& op : applied) {
    SLUICE_ASSERT(metadata::Apply(replica, op.context, op.body) == op.result, "op ", op.context.op,
                  " applied twice gave two results");
  }
  SLUICE_ASSERT(replica == driver.state, "the same ops gave two states");
  CheckSnapshotRoundTrip(driver.state);
}

}  // namespace
}  // namespace sluice::fuzz

namespace sluice::fuzz {
namespace {

void CheckInput(ByteSpan input) {
  if (input.empty()) return;
  const ByteSpan rest = input.subspan(1);
  switch (input[0] % 4) {
    case 0:
      CheckSnapshot(rest);
      CheckSnapshot(ResealSnapshot(rest));
      return;
    case 1:
      return CheckState(rest);
    case 2:
      if (!rest.empty()) (void)kBodyCodecs[rest[0] % kBodyCodecCount].check(rest.subspan(1));
      return;
    default: {
      Reader reader(rest);
      return CheckApply(reader);
    }
  }
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::CheckInput(sluice::fuzz::InputBytes(data, size));
  return 0;
}
