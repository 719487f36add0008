#include "core/partition/entry_body.h"

#include "absl/strings/str_cat.h"

namespace sluice::partition {
namespace {

absl::Status WrongSize(const char* what, size_t expected, size_t found) {
  return absl::DataLossError(absl::StrCat(what, " body has ", found, " bytes, expected ", expected));
}

absl::StatusOr<ConsumerKey> DecodeKey(ByteSpan body) {
  const uint8_t kind = body[0];
  if (kind != static_cast<uint8_t>(ConsumerKind::kConsumer) &&
      kind != static_cast<uint8_t>(ConsumerKind::kGroup)) {
    return absl::DataLossError(absl::StrCat("unknown consumer kind ", int{kind}));
  }
  return ConsumerKey{static_cast<ConsumerKind>(kind), base::LoadLittleEndian<uint32_t>(body, 1)};
}

}  // namespace

Bytes EncodeStoreOffset(const StoreOffsetBody& body) {
  Bytes bytes(13);
  bytes[0] = static_cast<uint8_t>(body.consumer.kind);
  base::StoreLittleEndian<uint32_t>(bytes, 1, body.consumer.id);
  base::StoreLittleEndian<uint64_t>(bytes, 5, body.offset);
  return bytes;
}

absl::StatusOr<StoreOffsetBody> DecodeStoreOffset(ByteSpan body) {
  if (body.size() != 13) return WrongSize("store consumer offset", 13, body.size());
  absl::StatusOr<ConsumerKey> key = DecodeKey(body);
  if (!key.ok()) return key.status();
  return StoreOffsetBody{*key, base::LoadLittleEndian<uint64_t>(body, 5)};
}

Bytes EncodeDeleteOffset(const ConsumerKey& consumer) {
  Bytes bytes(5);
  bytes[0] = static_cast<uint8_t>(consumer.kind);
  base::StoreLittleEndian<uint32_t>(bytes, 1, consumer.id);
  return bytes;
}

absl::StatusOr<ConsumerKey> DecodeDeleteOffset(ByteSpan body) {
  if (body.size() != 5) return WrongSize("delete consumer offset", 5, body.size());
  return DecodeKey(body);
}

Bytes EncodeRetention(uint64_t cutoff_op) {
  Bytes bytes(8);
  base::StoreLittleEndian<uint64_t>(bytes, 0, cutoff_op);
  return bytes;
}

absl::StatusOr<uint64_t> DecodeRetention(ByteSpan body) {
  if (body.size() != 8) return WrongSize("retention", 8, body.size());
  return base::LoadLittleEndian<uint64_t>(body, 0);
}

Bytes EncodePurge(uint64_t step_id) { return EncodeRetention(step_id); }

absl::StatusOr<uint64_t> DecodePurge(ByteSpan body) {
  if (body.size() != 8) return WrongSize("purge", 8, body.size());
  return base::LoadLittleEndian<uint64_t>(body, 0);
}

}  // namespace sluice::partition
