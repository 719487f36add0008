#include "core/wire/batch.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/wire/batch_encoder.h"

namespace sluice::wire {
namespace {

using base::LoadLittleEndian;
using base::StoreLittleEndian;
using ::testing::AllOf;
using ::testing::HasSubstr;

// --- Helpers ------------------------------------------------------------------------

Bytes FromHex(absl::string_view hex) {
  std::string digits;
  for (char c : hex) {
    if (!absl::ascii_isspace(static_cast<unsigned char>(c))) digits.push_back(c);
  }
  Bytes bytes;
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    bytes.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

Bytes Concat(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

Bytes Text(absl::string_view text) { return Bytes(text.begin(), text.end()); }

// A TLV field of user headers: [kind:u8][len:u32][value].
Bytes Tlv(uint8_t kind, const Bytes& value) {
  Bytes out{kind, 0, 0, 0, 0};
  StoreLittleEndian<uint32_t>(out, 1, static_cast<uint32_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

// The frame positions of a batch whose lengths are in bounds (a test oracle that
// walks independently of the decoder).
std::vector<size_t> FramePositions(const Bytes& batch) {
  std::vector<size_t> positions;
  size_t position = kBatchHeaderSize;
  const uint32_t count = LoadLittleEndian<uint32_t>(batch, batch_offset::kMessageCount);
  for (uint32_t i = 0; i < count && position + kMessageHeaderSize <= batch.size(); ++i) {
    positions.push_back(position);
    position += kMessageHeaderSize + LoadLittleEndian<uint32_t>(batch, position + 32) +
                LoadLittleEndian<uint32_t>(batch, position + 36);
  }
  return positions;
}

// PROTOCOL.md §6.4, computed the literal way: hash of the concatenation.
uint64_t ExpectedBatchChecksum(const Bytes& batch) {
  Bytes covered(batch.begin(), batch.begin() + 40);
  covered.insert(covered.end(), batch.begin() + 48, batch.begin() + 52);
  for (size_t position : FramePositions(batch)) {
    covered.insert(covered.end(), batch.begin() + position, batch.begin() + position + 8);
  }
  return base::Checksum64(covered);
}

// Recomputes every checksum after a test changed a field, so that the decoder's
// structural check (not a checksum) is what must reject the batch.
void Reseal(Bytes& batch) {
  for (size_t position : FramePositions(batch)) {
    const size_t end = std::min<size_t>(
        batch.size(), position + kMessageHeaderSize +
                          LoadLittleEndian<uint32_t>(batch, position + 32) +
                          uint64_t{LoadLittleEndian<uint32_t>(batch, position + 36)});
    const uint64_t checksum =
        base::Checksum64(ByteSpan(batch).subspan(position + 8, end - position - 8));
    StoreLittleEndian<uint64_t>(batch, position, checksum);
  }
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchChecksum, ExpectedBatchChecksum(batch));
}

constexpr uint64_t kOrigin = 1'700'000'000'000'000;

Bytes SampleBatch() {
  const Bytes first = Text("first");
  const Bytes second = Text("second payload");
  const Bytes headers = Concat(Tlv(2, Text("foo")), Tlv(6, {42, 0, 0, 0}));
  const std::vector<MessageToSend> messages = {
      {.id = 1, .origin_timestamp = kOrigin + 5, .payload = first, .user_headers = headers},
      {.id = absl::MakeUint128(7, 8), .origin_timestamp = kOrigin, .payload = second},
      {.id = 3, .origin_timestamp = kOrigin + 1000, .payload = {}},
  };
  absl::StatusOr<Bytes> batch = EncodeBatch(messages);
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *batch;
}

absl::Status DecodeStatus(const Bytes& batch) { return DecodeBatch(batch).status(); }

void ExpectMalformed(const Bytes& batch, absl::string_view substring) {
  const absl::Status status = DecodeStatus(batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_EQ(ClassifyBatchError(status), BatchError::kMalformed) << status;
  EXPECT_THAT(status.message(), HasSubstr(substring));
}

// --- PROTOCOL.md Appendix B: SendMessages (stream "s", topic 0, PartitionId 0, one
// message id 1, payload "hi", origin 1 700 000 000 000 000 µs) ------------------------

const Bytes kAppendixBMetadata = FromHex("13000000 020173 010400000000 020400000000 01000000");

Bytes AppendixBBatchHeader() {
  Bytes header(kBatchHeaderSize, 0);
  const Bytes fields = FromHex(
      "00401e18240a0600"  // 24..31 origin_timestamp
      "3201000000000000"  // 32..39 batch_length 306
      "0573739fcebbb4f0"  // 40..47 batch_checksum 0xf0b4bbce9f737305
      "01000000");        // 48..51 message_count 1
  std::copy(fields.begin(), fields.end(), header.begin() + 24);
  return header;
}

const Bytes kAppendixBFrame = FromHex(
    "dc8e00ca420b92a9"                     // checksum 0xa9920b42ca008edc
    "01000000000000000000000000000000"     // id 1
    "00000000 00000000 00000000 02000000"  // offset/timestamp deltas, user headers, payload
    "0000000000000000"                     // reserved
    "6869");                               // "hi"

Bytes AppendixBMessageBatch() {
  const Bytes hi = Text("hi");
  const std::vector<MessageToSend> messages = {
      {.id = 1, .origin_timestamp = kOrigin, .payload = hi}};
  absl::StatusOr<Bytes> batch = EncodeBatch(messages);
  SLUICE_ASSERT(batch.ok(), batch.status().ToString());
  return *batch;
}

TEST(AppendixBTest, SendMessagesBatchIsByteExact) {
  const Bytes batch = AppendixBMessageBatch();
  EXPECT_EQ(batch, Concat(AppendixBBatchHeader(), kAppendixBFrame));
  const Bytes body = Concat(kAppendixBMetadata, batch);
  EXPECT_EQ(body.size(), 329u);
  EXPECT_EQ(kAppendixBMetadata.size(), 23u);
}

TEST(AppendixBTest, ChecksumsMatchTheVector) {
  const Bytes batch = Concat(AppendixBBatchHeader(), kAppendixBFrame);
  // Message checksum: frame bytes 8..50 (header 8..48, payload, no user headers).
  EXPECT_EQ(base::Checksum64(ByteSpan(kAppendixBFrame).subspan(8)), 0xa9920b42ca008edcULL);
  EXPECT_EQ(ExpectedBatchChecksum(batch), 0xf0b4bbce9f737305ULL);
}

TEST(AppendixBTest, DecodesTheVector) {
  const Bytes batch = Concat(AppendixBBatchHeader(), kAppendixBFrame);
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(batch);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->message_count(), 1u);
  EXPECT_EQ(decoded->batch_length(), 306u);
  EXPECT_EQ(decoded->batch_checksum(), 0xf0b4bbce9f737305ULL);
  EXPECT_EQ(decoded->origin_timestamp(), kOrigin);
  const MessageView message = *decoded->begin();
  EXPECT_EQ(message.checksum, 0xa9920b42ca008edcULL);
  EXPECT_EQ(message.id, 1);
  EXPECT_EQ(message.offset, 0u);
  EXPECT_EQ(message.origin_timestamp, kOrigin);
  EXPECT_EQ(Bytes(message.payload.begin(), message.payload.end()), Text("hi"));
  EXPECT_TRUE(message.user_headers.empty());
}

TEST(AppendixBTest, XxhashSanityValues) {
  EXPECT_EQ(base::Checksum64({}), 0x2d06800538d394c2ULL);
  EXPECT_EQ(base::Checksum64(base::AsBytes("abc")), 0x78af5f94892f3950ULL);
}

// --- Round trip and stamping --------------------------------------------------------

TEST(BatchTest, RoundTrip) {
  const Bytes batch = SampleBatch();
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(batch);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->message_count(), 3u);
  EXPECT_EQ(decoded->partition_id(), 0u);
  EXPECT_EQ(decoded->base_offset(), 0u);
  EXPECT_EQ(decoded->base_timestamp(), 0u);
  EXPECT_EQ(decoded->origin_timestamp(), kOrigin);  // The smallest origin.
  std::vector<MessageView> messages(decoded->begin(), decoded->end());
  ASSERT_EQ(messages.size(), 3u);
  EXPECT_EQ(messages[0].id, 1);
  EXPECT_EQ(messages[0].origin_timestamp, kOrigin + 5);
  EXPECT_EQ(Bytes(messages[0].payload.begin(), messages[0].payload.end()), Text("first"));
  EXPECT_EQ(Bytes(messages[0].user_headers.begin(), messages[0].user_headers.end()),
            Concat(Tlv(2, Text("foo")), Tlv(6, {42, 0, 0, 0})));
  EXPECT_EQ(messages[1].id, absl::MakeUint128(7, 8));
  EXPECT_EQ(messages[1].offset, 1u);
  EXPECT_EQ(messages[1].origin_timestamp, kOrigin);
  EXPECT_EQ(messages[2].offset, 2u);
  EXPECT_EQ(messages[2].origin_timestamp, kOrigin + 1000);
  EXPECT_TRUE(messages[2].payload.empty());
  for (const MessageView& message : messages) {
    EXPECT_EQ(message.checksum, base::Checksum64(message.frame.subspan(8)));
  }
}

TEST(BatchTest, StampWritesServerFieldsAndRecomputesBatchChecksum) {
  Bytes batch = SampleBatch();
  const Bytes before = batch;
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(batch);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  const ValidatedBatch stamped = StampBatch(
      *decoded, batch, {.partition_id = 4, .base_offset = 1000, .base_timestamp = kOrigin + 77});
  EXPECT_EQ(stamped.partition_id(), 4u);
  EXPECT_EQ(stamped.base_offset(), 1000u);
  EXPECT_EQ(stamped.base_timestamp(), kOrigin + 77);
  EXPECT_EQ(stamped.last_offset(), 1002u);
  EXPECT_EQ(stamped.batch_checksum(), ExpectedBatchChecksum(batch));
  EXPECT_NE(stamped.batch_checksum(),
            LoadLittleEndian<uint64_t>(before, batch_offset::kBatchChecksum));
  // Only bytes 0..24 (stamped fields) and 40..48 (batch checksum) changed.
  for (size_t i = 0; i < batch.size(); ++i) {
    if (i < 24 || (i >= 40 && i < 48)) continue;
    ASSERT_EQ(batch[i], before[i]) << "byte " << i;
  }
  uint64_t expected_offset = 1000;
  for (const MessageView& message : stamped) {
    EXPECT_EQ(message.offset, expected_offset++);
    EXPECT_EQ(message.timestamp, kOrigin + 77);
  }
  // The stored form decodes again (what bootstrap and poll read back).
  absl::StatusOr<ValidatedBatch> again = DecodeBatch(batch);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->base_offset(), 1000u);
}

TEST(BatchTest, RestampingReplacesThePreviousStamp) {
  Bytes batch = SampleBatch();
  const ValidatedBatch first = StampBatch(*DecodeBatch(batch), batch, {1, 2, 3});
  const ValidatedBatch second = StampBatch(first, batch, {0, 0, 0});
  EXPECT_EQ(batch, SampleBatch());
  EXPECT_TRUE(DecodeBatch(batch).ok());
  EXPECT_EQ(second.base_offset(), 0u);
}

TEST(BatchDeathTest, StampRefusesBaseOffsetThatOverflows) {
  Bytes batch = SampleBatch();
  const ValidatedBatch decoded = *DecodeBatch(batch);
  EXPECT_DEATH(StampBatch(decoded, batch, {.base_offset = std::numeric_limits<uint64_t>::max()}),
               "overflows");
}

// --- Malformed batches, one case each ----------------------------------------------

TEST(DecodeBatchTest, RejectsShortBatch) {
  Bytes batch = SampleBatch();
  batch.resize(kBatchHeaderSize - 1);
  ExpectMalformed(batch, "too short: expected at least 256 bytes, found 255");
  ExpectMalformed({}, "too short");
}

TEST(DecodeBatchTest, RejectsBatchLargerThanTheMaximum) {
  const Bytes batch = SampleBatch();
  const absl::Status status =
      DecodeBatch(batch, {.batch_size_bytes_max = batch.size() - 1}).status();
  EXPECT_EQ(ClassifyBatchError(status), BatchError::kMalformed);
  EXPECT_THAT(status.message(),
              HasSubstr(absl::StrCat("too large: expected at most ", batch.size() - 1, " bytes")));
  EXPECT_TRUE(DecodeBatch(batch, {.batch_size_bytes_max = batch.size()}).ok());
}

TEST(DecodeBatchTest, RejectsBatchLengthMismatch) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchLength, batch.size() + 1);
  Reseal(batch);
  ExpectMalformed(batch, absl::StrCat("batch_length mismatch: expected ", batch.size(),
                                      " (the batch's length), found ", batch.size() + 1));
}

TEST(DecodeBatchTest, RejectsNonzeroReservedHeaderBytes) {
  Bytes batch = SampleBatch();
  batch[200] = 0x10;
  ExpectMalformed(batch, "reserved header bytes 52..256 must be zero: byte 200 is 0x10");
}

TEST(DecodeBatchTest, RejectsZeroMessageCount) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint32_t>(batch, batch_offset::kMessageCount, 0);
  Reseal(batch);
  ExpectMalformed(batch, "message_count is 0");
}

TEST(DecodeBatchTest, RejectsMessageCountThatCannotFit) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint32_t>(batch, batch_offset::kMessageCount, 0xFFFFFFFF);
  ExpectMalformed(batch, "message_count 4294967295 cannot fit in");
}

TEST(DecodeBatchTest, RejectsMessageCountBeyondTheFrames) {
  Bytes batch = SampleBatch();  // 3 frames in 180 bytes; room for 4 by count after this:
  batch.resize(batch.size() + 20);
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchLength, batch.size());
  StoreLittleEndian<uint32_t>(batch, batch_offset::kMessageCount, 4);
  Reseal(batch);
  ExpectMalformed(batch,
                  "message 3 at byte 436 truncated: expected a 48-byte header, found 20 bytes");
}

TEST(DecodeBatchTest, RejectsPayloadLengthPastTheEnd) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint32_t>(batch, kBatchHeaderSize + message_offset::kPayloadLength, 0xFFFFFFFF);
  ExpectMalformed(batch,
                  "message 0 at byte 256 truncated: payload_length 4294967295 + "
                  "user_headers_length 17 exceed the");
}

TEST(DecodeBatchTest, RejectsUserHeadersLengthPastTheEnd) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint32_t>(batch, kBatchHeaderSize + message_offset::kUserHeadersLength,
                              0xFFFFFFFF);
  ExpectMalformed(batch, "user_headers_length 4294967295 exceed the");
}

TEST(DecodeBatchTest, RejectsTrailingBytes) {
  Bytes batch = SampleBatch();
  batch.push_back(0);
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchLength, batch.size());
  Reseal(batch);
  ExpectMalformed(batch, "1 trailing bytes after its 3 messages");
}

TEST(DecodeBatchTest, RejectsMessageChecksumMismatch) {
  Bytes batch = SampleBatch();
  batch[kBatchHeaderSize + kMessageHeaderSize] ^= 0x01;  // First payload byte.
  const absl::Status status = DecodeStatus(batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ClassifyBatchError(status), BatchError::kMessageChecksum);
  EXPECT_THAT(status.message(),
              AllOf(HasSubstr("message 0 at byte 256 checksum mismatch over frame bytes 8..70"),
                    HasSubstr("expected 0x"), HasSubstr("found 0x")));
}

TEST(DecodeBatchTest, RejectsBatchChecksumMismatch) {
  Bytes batch = SampleBatch();
  batch[batch_offset::kBaseOffset] ^= 0x01;
  const absl::Status status = DecodeStatus(batch);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ClassifyBatchError(status), BatchError::kBatchChecksum);
  EXPECT_THAT(status.message(), HasSubstr("batch checksum mismatch: expected 0x"));
}

TEST(DecodeBatchTest, RejectsNonzeroMessageReserved) {
  Bytes batch = SampleBatch();
  batch[kBatchHeaderSize + message_offset::kReserved] = 1;
  Reseal(batch);
  ExpectMalformed(batch,
                  "message 0 at byte 256 reserved field (frame bytes 40..48) must be "
                  "zero, found 0x0000000000000001");
}

TEST(DecodeBatchTest, RejectsOffsetDeltaThatIsNotTheIndex) {
  Bytes batch = SampleBatch();
  const size_t second = FramePositions(batch)[1];
  StoreLittleEndian<uint32_t>(batch, second + message_offset::kOffsetDelta, 5);
  Reseal(batch);
  ExpectMalformed(batch, "message 1 at byte 326 offset_delta mismatch: expected 1");
}

TEST(DecodeBatchTest, RejectsMalformedUserHeaders) {
  Bytes batch = SampleBatch();
  // The first message's headers start at 256 + 48 + 5; make the key's kind 0.
  batch[kBatchHeaderSize + kMessageHeaderSize + 5] = 0;
  Reseal(batch);
  ExpectMalformed(batch, "message 0 at byte 256: user header at byte 0 has unknown kind 0");
}

TEST(DecodeBatchTest, RejectsBaseOffsetThatOverflows) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint64_t>(batch, batch_offset::kBaseOffset,
                              std::numeric_limits<uint64_t>::max() - 1);
  Reseal(batch);
  ExpectMalformed(batch, "+ 3 messages overflows the u64 offset range");
}

TEST(DecodeBatchTest, RejectsOriginTimestampThatOverflows) {
  Bytes batch = SampleBatch();
  StoreLittleEndian<uint64_t>(batch, batch_offset::kOriginTimestamp,
                              std::numeric_limits<uint64_t>::max() - 999);
  Reseal(batch);
  ExpectMalformed(batch, "+ timestamp_delta 1000 overflows u64");
}

TEST(DecodeBatchTest, ClassificationSurvivesAddedContext) {
  Bytes batch = SampleBatch();
  batch[batch_offset::kBaseOffset] ^= 0x01;
  const absl::Status annotated = base::Annotate(DecodeStatus(batch), "SendMessages body");
  EXPECT_EQ(ClassifyBatchError(annotated), BatchError::kBatchChecksum);
  EXPECT_EQ(ClassifyBatchError(absl::OkStatus()), BatchError::kNone);
  EXPECT_EQ(ClassifyBatchError(absl::InternalError("other")), BatchError::kNone);
}

TEST(DecodeBatchTest, RejectsEveryBitFlipOfABatch) {
  const Bytes batch = SampleBatch();
  for (size_t bit = 0; bit < batch.size() * 8; ++bit) {
    Bytes flipped = batch;
    flipped[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    EXPECT_FALSE(DecodeBatch(flipped).ok()) << "bit " << bit;
  }
}

// --- Encoder refusals ---------------------------------------------------------------

TEST(EncodeBatchTest, RejectsEmptyBatch) {
  EXPECT_THAT(EncodeBatch({}).status().message(), HasSubstr("at least one message"));
}

TEST(EncodeBatchTest, RejectsTimestampSpreadBeyondU32) {
  const std::vector<MessageToSend> messages = {{.id = 1, .origin_timestamp = 0},
                                               {.id = 2, .origin_timestamp = uint64_t{1} << 32}};
  EXPECT_THAT(EncodeBatch(messages).status().message(), HasSubstr("message 1 origin_timestamp"));
}

TEST(EncodeBatchTest, RejectsMalformedUserHeaders) {
  const Bytes headers = Tlv(2, Text("key-without-value"));
  const std::vector<MessageToSend> messages = {{.id = 1, .user_headers = headers}};
  EXPECT_THAT(EncodeBatch(messages).status().message(), HasSubstr("message 0"));
}

TEST(EncodeBatchTest, RejectsBatchOverTheMaximum) {
  const Bytes payload(100, 'x');
  const std::vector<MessageToSend> messages = {{.id = 1, .payload = payload}};
  EXPECT_FALSE(EncodeBatch(messages, {.batch_size_bytes_max = 256 + 48 + 99}).ok());
  EXPECT_TRUE(EncodeBatch(messages, {.batch_size_bytes_max = 256 + 48 + 100}).ok());
}

// --- Properties -------------------------------------------------------------------

struct MessageData {
  absl::uint128 id;
  uint64_t origin_timestamp;
  Bytes payload;
  Bytes user_headers;
};

rc::Gen<Bytes> ArbitraryUserHeaders() {
  return rc::gen::exec([] {
    Bytes headers;
    const size_t pairs = *rc::gen::inRange<size_t>(0, 3);
    for (size_t i = 0; i < pairs; ++i) {
      const auto key = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(1, 12),
                                                  rc::gen::arbitrary<uint8_t>());
      const auto value = *rc::gen::container<Bytes>(*rc::gen::inRange<size_t>(1, 12),
                                                    rc::gen::arbitrary<uint8_t>());
      const Bytes key_tlv = Tlv(2, key);
      const Bytes value_tlv = Tlv(1, value);
      headers.insert(headers.end(), key_tlv.begin(), key_tlv.end());
      headers.insert(headers.end(), value_tlv.begin(), value_tlv.end());
    }
    return headers;
  });
}

rc::Gen<std::vector<MessageData>> ArbitraryMessages() {
  return rc::gen::exec([] {
    const uint64_t origin_base = *rc::gen::inRange<uint64_t>(0, uint64_t{1} << 62);
    const size_t count = *rc::gen::inRange<size_t>(1, 6);
    std::vector<MessageData> messages;
    for (size_t i = 0; i < count; ++i) {
      MessageData message;
      message.id =
          absl::MakeUint128(*rc::gen::arbitrary<uint64_t>(), *rc::gen::arbitrary<uint64_t>());
      message.origin_timestamp = origin_base + *rc::gen::arbitrary<uint32_t>();
      message.payload = *rc::gen::container<Bytes>(rc::gen::arbitrary<uint8_t>());
      message.user_headers = *ArbitraryUserHeaders();
      messages.push_back(std::move(message));
    }
    return messages;
  });
}

Bytes Encode(const std::vector<MessageData>& data) {
  std::vector<MessageToSend> messages;
  for (const MessageData& message : data) {
    messages.push_back(
        {message.id, message.origin_timestamp, message.payload, message.user_headers});
  }
  absl::StatusOr<Bytes> batch = EncodeBatch(messages);
  RC_ASSERT(batch.ok());
  return *batch;
}

RC_GTEST_PROP(BatchProperty, EncodeDecodeRoundTripsArbitraryMessages, ()) {
  const std::vector<MessageData> data = *ArbitraryMessages();
  const Bytes batch = Encode(data);
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(batch);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->message_count() == data.size());
  size_t index = 0;
  for (const MessageView& message : *decoded) {
    RC_ASSERT(message.id == data[index].id);
    RC_ASSERT(message.offset == index);
    RC_ASSERT(message.origin_timestamp == data[index].origin_timestamp);
    RC_ASSERT(Bytes(message.payload.begin(), message.payload.end()) == data[index].payload);
    RC_ASSERT(Bytes(message.user_headers.begin(), message.user_headers.end()) ==
              data[index].user_headers);
    ++index;
  }
  RC_ASSERT(index == data.size());
}

RC_GTEST_PROP(BatchProperty, StampedBatchDecodesWithTheStamp,
              (uint64_t partition, uint32_t base_offset, uint64_t timestamp)) {
  Bytes batch = Encode(*ArbitraryMessages());
  const ValidatedBatch stamped = StampBatch(
      *DecodeBatch(batch), batch,
      {.partition_id = partition, .base_offset = base_offset, .base_timestamp = timestamp});
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(batch);
  RC_ASSERT(decoded.ok());
  RC_ASSERT(decoded->partition_id() == partition);
  RC_ASSERT(decoded->base_offset() == base_offset);
  RC_ASSERT(decoded->base_timestamp() == timestamp);
  RC_ASSERT(decoded->batch_checksum() == stamped.batch_checksum());
}

RC_GTEST_PROP(BatchProperty, AnySingleBitFlipIsRejected, ()) {
  Bytes batch = Encode(*ArbitraryMessages());
  if (*rc::gen::arbitrary<bool>()) {
    const ValidatedBatch decoded = *DecodeBatch(batch);
    StampBatch(decoded, batch,
               {*rc::gen::arbitrary<uint64_t>(), *rc::gen::arbitrary<uint32_t>(),
                *rc::gen::arbitrary<uint64_t>()});
  }
  const size_t bit = *rc::gen::inRange<size_t>(0, batch.size() * 8);
  batch[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
  RC_ASSERT(!DecodeBatch(batch).ok());
}

// Whatever DecodeBatch accepts, iterating it stays inside the input.
void CheckAcceptedBatchIsInBounds(const Bytes& bytes) {
  absl::StatusOr<ValidatedBatch> decoded = DecodeBatch(bytes);
  if (!decoded.ok()) return;
  uint32_t count = 0;
  for (const MessageView& message : *decoded) {
    RC_ASSERT(message.frame.data() >= bytes.data());
    RC_ASSERT(message.frame.data() + message.frame.size() <= bytes.data() + bytes.size());
    ++count;
  }
  RC_ASSERT(count == decoded->message_count());
}

RC_GTEST_PROP(BatchProperty, ArbitraryBytesNeverCrashTheDecoder, ()) {
  const size_t size = *rc::gen::inRange<size_t>(0, 700);
  const auto bytes = *rc::gen::container<Bytes>(size, rc::gen::arbitrary<uint8_t>());
  CheckAcceptedBatchIsInBounds(bytes);
}

// Random bytes rarely get past the header checks, so also corrupt valid batches
// (random bytes overwritten, truncated or extended) and reseal their checksums, which
// drives the decoder through its structural checks with hostile lengths and counts.
RC_GTEST_PROP(BatchProperty, CorruptedResealedBatchesNeverCrashTheDecoder, ()) {
  Bytes batch = Encode(*ArbitraryMessages());
  // Overwrite bytes of the header's fields (0..52) or of the frames (256..), not the
  // reserved header bytes, which would end every case at the same check.
  const size_t edits = *rc::gen::inRange<size_t>(1, 6);
  for (size_t i = 0; i < edits; ++i) {
    const size_t at = *rc::gen::oneOf(rc::gen::inRange<size_t>(0, batch_offset::kReserved),
                                      rc::gen::inRange<size_t>(kBatchHeaderSize, batch.size()));
    batch[at] = *rc::gen::arbitrary<uint8_t>();
  }
  if (*rc::gen::inRange(0, 4) == 0) {
    const int resize = *rc::gen::inRange(-60, 60);
    batch.resize(static_cast<size_t>(std::max<int>(0, static_cast<int>(batch.size()) + resize)));
  }
  if (batch.size() >= kBatchHeaderSize && *rc::gen::inRange(0, 4) != 0) {
    StoreLittleEndian<uint64_t>(batch, batch_offset::kBatchLength, batch.size());
  }
  if (batch.size() >= kBatchHeaderSize) Reseal(batch);
  CheckAcceptedBatchIsInBounds(batch);
}

}  // namespace
}  // namespace sluice::wire
