// The byte layout of one superblock copy: one test per way a copy can be bad
// (after LevelDB's log_test), and RapidCheck properties for the fuzzer's contract:
// encode/decode round-trips every valid state, and no byte string crashes the decoder.
#include "core/superblock/superblock_format.h"

#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/base/bytes.h"

namespace sluice::superblock {
namespace {

namespace off = superblock_offset;

SuperblockState State() {
  SuperblockState state;
  state.cluster_id = absl::MakeUint128(0xC1C1C1C1, 0xD2D2D2D2);
  state.replica_index = 2;
  state.replica_count = 3;
  state.namespace_widths = {.stream_bits = 10, .topic_bits = 11, .partition_bits = 19};
  state.metadata_checkpoint = {
      .op = 4096, .snapshot_checksum = absl::MakeUint128(7, 8), .prepare_checksum = 0x99};
  state.view = 12;
  state.metadata_log_view = 11;
  state.partition_log_views = {.op = 5, .checksum = absl::MakeUint128(9, 10)};
  state.metadata_commit_watermark = 5000;
  state.recovering = true;
  return state;
}

// Recomputes a copy's checksum after a test changed its bytes, so the decoder's
// checks behind the checksum are reached.
void Reseal(Bytes& copy) {
  base::StoreU128(MutableByteSpan(copy), off::kChecksum, SuperblockCopyChecksum(copy));
}

bool Mentions(const absl::Status& status, absl::string_view text) {
  return status.message().find(text) != absl::string_view::npos;
}

TEST(SuperblockFormatTest, EncodeDecodeRoundTrip) {
  const absl::uint128 parent = absl::MakeUint128(0xAA, 0xBB);
  for (uint8_t slot = 0; slot < kSuperblockCopyCount; ++slot) {
    const Bytes copy = EncodeSuperblockCopy(State(), 9, parent, slot);
    ASSERT_EQ(copy.size(), kSuperblockCopySizeBytes);
    const absl::StatusOr<DecodedCopy> decoded = DecodeSuperblockCopy(copy, slot);
    ASSERT_TRUE(decoded.ok()) << decoded.status();
    EXPECT_EQ(decoded->state, State());
    EXPECT_EQ(decoded->sequence, 9u);
    EXPECT_EQ(decoded->parent, parent);
    EXPECT_EQ(decoded->copy_index, slot);
    EXPECT_EQ(decoded->format_version, kSuperblockFormatVersion);
    EXPECT_EQ(decoded->checksum, base::LoadU128(copy, off::kChecksum));
  }
}

TEST(SuperblockFormatTest, MagicReadsSLUICESB) {
  const Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  EXPECT_EQ(std::memcmp(copy.data() + off::kMagic, "SLUICESB", 8), 0);
}

// The four copies of one version differ (copy index, checksum) but share the version
// body and so the version checksum, which is what the next version names as parent.
TEST(SuperblockFormatTest, CopiesOfOneVersionShareTheVersionChecksum) {
  const Bytes copy0 = EncodeSuperblockCopy(State(), 3, 77, 0);
  const Bytes copy3 = EncodeSuperblockCopy(State(), 3, 77, 3);
  EXPECT_NE(copy0, copy3);
  EXPECT_EQ(SuperblockVersionChecksum(copy0), SuperblockVersionChecksum(copy3));
  EXPECT_TRUE(SameVersion(*DecodeSuperblockCopy(copy0, 0), *DecodeSuperblockCopy(copy3, 3)));
  EXPECT_NE(SuperblockVersionChecksum(copy0),
            SuperblockVersionChecksum(EncodeSuperblockCopy(State(), 4, 77, 0)));
}

TEST(SuperblockFormatTest, WrongLength) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 1);
  copy.pop_back();
  const absl::Status status = DecodeSuperblockCopy(copy, 1).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "superblock copy 1 (offset 4096): is 4095 bytes, expected 4096"))
      << status;
  EXPECT_FALSE(DecodeSuperblockCopy(ByteSpan(), 0).ok());
}

TEST(SuperblockFormatTest, AllZeros) {
  const Bytes copy(kSuperblockCopySizeBytes, 0);
  const absl::Status status = DecodeSuperblockCopy(copy, 2).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "offset 8192")) << status;
  EXPECT_TRUE(Mentions(status, "all zeros")) << status;
}

TEST(SuperblockFormatTest, BadMagic) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  copy[off::kMagic] = 'X';
  const absl::Status status = DecodeSuperblockCopy(copy, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "bad magic")) << status;
}

// An unknown version is refused as such (not as corruption), naming both versions.
TEST(SuperblockFormatTest, UnknownFormatVersion) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  base::StoreLittleEndian<uint32_t>(MutableByteSpan(copy), off::kFormatVersion, 2);
  Reseal(copy);
  const absl::Status status = DecodeSuperblockCopy(copy, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(Mentions(status, "format version 2 is not supported")) << status;
  EXPECT_TRUE(Mentions(status, "reads format version 1")) << status;
}

TEST(SuperblockFormatTest, ChecksumMismatch) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 3);
  copy[off::kView] ^= 0x10;
  const absl::Status status = DecodeSuperblockCopy(copy, 3).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "superblock copy 3 (offset 12288): checksum mismatch: stored 0x"))
      << status;
}

// A whole, valid copy read from another slot: a misdirected write.
TEST(SuperblockFormatTest, CopyIndexNotItsSlot) {
  const Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 1);
  const absl::Status status = DecodeSuperblockCopy(copy, 2).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "holds copy index 1, expected 2")) << status;
}

TEST(SuperblockFormatTest, NonZeroReservedByte) {
  for (const size_t offset : {size_t{20}, size_t{45}, size_t{95}, size_t{176}, size_t{4095}}) {
    Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
    copy[offset] = 1;
    Reseal(copy);
    const absl::Status status = DecodeSuperblockCopy(copy, 0).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
    EXPECT_TRUE(Mentions(status, absl::StrCat("reserved byte at copy offset ", offset))) << status;
  }
}

TEST(SuperblockFormatTest, RecoveringFlagOutOfRange) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  copy[off::kRecovering] = 2;
  Reseal(copy);
  EXPECT_TRUE(Mentions(DecodeSuperblockCopy(copy, 0).status(), "recovering flag is 2"));
}

TEST(SuperblockFormatTest, SequenceZero) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  base::StoreLittleEndian<uint64_t>(MutableByteSpan(copy), off::kSequence, 0);
  Reseal(copy);
  EXPECT_TRUE(Mentions(DecodeSuperblockCopy(copy, 0).status(), "sequence 0"));
}

TEST(SuperblockFormatTest, FirstSequenceWithAParent) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  base::StoreU128(MutableByteSpan(copy), off::kParent, 5);
  Reseal(copy);
  EXPECT_TRUE(Mentions(DecodeSuperblockCopy(copy, 0).status(), "sequence 1 with parent"));
}

// B9: a copy whose checksum is right but whose widths break the limit is refused.
TEST(SuperblockFormatTest, WidthsBreakingB9) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  copy[off::kPartitionBits] = 60;
  Reseal(copy);
  const absl::Status status = DecodeSuperblockCopy(copy, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(Mentions(status, "B9")) << status;
}

TEST(SuperblockFormatTest, ReplicaIndexOutOfRange) {
  Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  copy[off::kReplicaIndex] = 3;
  Reseal(copy);
  EXPECT_TRUE(Mentions(DecodeSuperblockCopy(copy, 0).status(), "replica index 3"));
}

TEST(SuperblockFormatTest, SlotOutOfRange) {
  const Bytes copy = EncodeSuperblockCopy(State(), 1, 0, 0);
  EXPECT_EQ(DecodeSuperblockCopy(copy, 4).status().code(), absl::StatusCode::kInvalidArgument);
}

// --- properties ---

rc::Gen<absl::uint128> GenU128() {
  return rc::gen::map(rc::gen::pair(rc::gen::arbitrary<uint64_t>(), rc::gen::arbitrary<uint64_t>()),
                      [](std::pair<uint64_t, uint64_t> parts) {
                        return absl::MakeUint128(parts.first, parts.second);
                      });
}

// Every valid state: the generator draws the free fields, then derives the
// constrained ones so the state passes ValidateSuperblockState.
SuperblockState GenState() {
  SuperblockState state;
  state.cluster_id = *GenU128();
  state.replica_count = *rc::gen::inRange<uint8_t>(1, 255);
  state.replica_index = *rc::gen::inRange<uint8_t>(0, state.replica_count);
  state.namespace_widths.stream_bits = *rc::gen::inRange<uint8_t>(0, 64);
  state.namespace_widths.topic_bits =
      *rc::gen::inRange<uint8_t>(0, 64 - state.namespace_widths.stream_bits);
  state.namespace_widths.partition_bits = *rc::gen::inRange<uint8_t>(
      0, 64 - state.namespace_widths.stream_bits - state.namespace_widths.topic_bits);
  const uint64_t op_a = *rc::gen::arbitrary<uint64_t>();
  const uint64_t op_b = *rc::gen::arbitrary<uint64_t>();
  state.metadata_commit_watermark = std::max(op_a, op_b);
  state.metadata_checkpoint.op = std::min(op_a, op_b);
  state.metadata_checkpoint.snapshot_checksum = *GenU128();
  state.metadata_checkpoint.prepare_checksum = *GenU128();
  const uint32_t view_a = *rc::gen::arbitrary<uint32_t>();
  const uint32_t view_b = *rc::gen::arbitrary<uint32_t>();
  state.view = std::max(view_a, view_b);
  state.metadata_log_view = std::min(view_a, view_b);
  state.partition_log_views.op = *rc::gen::arbitrary<uint64_t>();
  state.partition_log_views.checksum =
      state.partition_log_views.op == 0 ? absl::uint128(0) : absl::uint128(*GenU128() | 1);
  state.recovering = *rc::gen::arbitrary<bool>();
  return state;
}

RC_GTEST_PROP(SuperblockFormatProperty, RoundTripsArbitraryStates, ()) {
  const SuperblockState state = GenState();
  RC_ASSERT(ValidateSuperblockState(state).ok());
  const uint64_t sequence = *rc::gen::inRange<uint64_t>(1, UINT64_MAX);
  const absl::uint128 parent = sequence == 1 ? absl::uint128(0) : *GenU128();
  const uint8_t slot = *rc::gen::inRange<uint8_t>(0, kSuperblockCopyCount);
  const Bytes copy = EncodeSuperblockCopy(state, sequence, parent, slot);
  const absl::StatusOr<DecodedCopy> decoded = DecodeSuperblockCopy(copy, slot);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->state == state);
  RC_ASSERT(decoded->sequence == sequence);
  RC_ASSERT(decoded->parent == parent);
  RC_ASSERT(decoded->copy_index == slot);
}

// Whatever the bytes and the slot, decoding returns (never crashes, never asserts).
RC_GTEST_PROP(SuperblockFormatProperty, ArbitraryBytesNeverCrashTheDecoder,
              (const std::vector<uint8_t>& bytes, uint8_t slot)) {
  (void)DecodeSuperblockCopy(bytes, slot).ok();
}

// Copy-sized random bytes, half of them stamped with the right magic and version and
// half of those sealed with a right checksum, so every stage of the decoder is reached.
RC_GTEST_PROP(SuperblockFormatProperty, ArbitraryCopySizedBytesNeverCrashTheDecoder, ()) {
  Bytes copy = *rc::gen::container<Bytes>(kSuperblockCopySizeBytes, rc::gen::arbitrary<uint8_t>());
  const uint8_t stage = *rc::gen::inRange<uint8_t>(0, 4);
  if (stage >= 1) {
    base::StoreLittleEndian<uint64_t>(MutableByteSpan(copy), off::kMagic, kSuperblockMagic);
    base::StoreLittleEndian<uint32_t>(MutableByteSpan(copy), off::kFormatVersion,
                                      kSuperblockFormatVersion);
  }
  if (stage >= 2) Reseal(copy);
  const uint8_t slot = *rc::gen::inRange<uint8_t>(0, kSuperblockCopyCount);
  const absl::StatusOr<DecodedCopy> decoded = DecodeSuperblockCopy(copy, slot);
  RC_ASSERT(!decoded.ok());  // 3,936 random reserved bytes are never all zero
}

// Random copy-sized bytes behind the right magic and version, with a valid checksum,
// reach every check behind the checksum. Whatever the decoder accepts is canonical:
// re-encoding the decoded copy gives the same bytes (so "identical" comparisons on
// decoded fields are comparisons of the bytes).
RC_GTEST_PROP(SuperblockFormatProperty, MutatedSealedCopiesDecodeCanonicallyOrFail, ()) {
  Bytes copy = EncodeSuperblockCopy(GenState(), 2, 1, 0);
  const auto edits = *rc::gen::container<std::vector<std::pair<uint16_t, uint8_t>>>(rc::gen::pair(
      rc::gen::inRange<uint16_t>(off::kCopyIndex, off::kEnd + 8), rc::gen::arbitrary<uint8_t>()));
  for (const auto& [offset, value] : edits) {
    if (offset >= off::kMagic && offset < off::kFormatVersion + 4) continue;  // keep identity
    copy[offset] = value;
  }
  Reseal(copy);
  const uint8_t slot = copy[off::kCopyIndex] % kSuperblockCopyCount;
  const absl::StatusOr<DecodedCopy> decoded = DecodeSuperblockCopy(copy, slot);
  if (decoded.ok()) {
    RC_ASSERT(EncodeSuperblockCopy(decoded->state, decoded->sequence, decoded->parent, slot) ==
              copy);
  }
}

// Any single flipped bit makes the copy invalid.
RC_GTEST_PROP(SuperblockFormatProperty, SingleBitFlipIsDetected, ()) {
  const uint8_t slot = *rc::gen::inRange<uint8_t>(0, kSuperblockCopyCount);
  Bytes copy = EncodeSuperblockCopy(GenState(), 1, 0, slot);
  const size_t bit = *rc::gen::inRange<size_t>(0, kSuperblockCopySizeBytes * 8);
  copy[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  RC_ASSERT(!DecodeSuperblockCopy(copy, slot).ok());
}

}  // namespace
}  // namespace sluice::superblock
