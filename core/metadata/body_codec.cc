// Bodies of the stream, topic, partition and consumer-group operations, and the
// shared field encodings (body_codec_internal.h).
#include "core/metadata/body_codec.h"

#include "core/metadata/body_codec_internal.h"

namespace sluice::metadata {
namespace body_internal {

void WriteId(ByteWriter& out, const Identifier& id) {
  out.U8(static_cast<uint8_t>(id.kind));
  if (id.kind == Identifier::Kind::kNumeric) {
    out.U8(4);
    out.U32(id.numeric);
  } else {
    out.Name(id.name);  // [len:u8][bytes]: the same shape as the identifier's
  }
}

Identifier ReadId(ByteReader& in) {
  const uint8_t kind = in.U8();
  if (kind == static_cast<uint8_t>(Identifier::Kind::kNumeric)) {
    if (in.U8() != 4 && in.ok()) in.Fail("numeric identifier length must be 4");
    return Identifier::Numeric(in.U32());
  }
  if (kind == static_cast<uint8_t>(Identifier::Kind::kName)) return Identifier::Named(in.Name());
  in.Fail("identifier kind must be 1 (numeric) or 2 (name)");
  return {};
}

void WriteHash(ByteWriter& out, const Bytes& hash) {
  SLUICE_ASSERT(!hash.empty(), "an empty hash");
  out.ShortBlob(hash, kSecretHashBytesMax);
}

Bytes ReadHash(ByteReader& in) { return in.ShortBlob(kHashBytesMin, kSecretHashBytesMax); }

void WritePermissions(ByteWriter& out, const std::optional<Bytes>& permissions) {
  out.U8(permissions.has_value() ? 1 : 0);
  if (permissions.has_value()) {
    SLUICE_ASSERT(permissions->size() <= kPermissionsBytesMax, "permissions too large");
    out.LongBlob(*permissions);
  }
}

std::optional<Bytes> ReadPermissions(ByteReader& in) {
  const uint8_t has = in.U8();
  if (has == 0) return std::nullopt;
  if (has != 1) in.Fail("permissions flag must be 0 or 1");
  return in.LongBlob(kPermissionsBytesMax);
}

}  // namespace body_internal

using namespace body_internal;  // NOLINT: this file implements them

Bytes Encode(const CreateStreamBody& body) {
  ByteWriter out;
  out.Name(body.name);
  return std::move(out).Take();
}

Bytes Encode(const UpdateStreamBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  out.Name(body.name);
  return std::move(out).Take();
}

Bytes Encode(const StreamBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  return std::move(out).Take();
}

Bytes Encode(const CreateTopicBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  out.U32(body.partitions_count);
  out.Name(body.name);
  out.U8(body.settings.compression_algorithm);
  out.U64(body.settings.message_expiry_us);
  out.U64(body.settings.max_topic_size_bytes);
  out.U64(body.settings.segment_size_bytes);
  return std::move(out).Take();
}

Bytes Encode(const UpdateTopicBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  WriteId(out, body.topic);
  out.Name(body.name);
  out.U8(body.present);
  out.U8(body.compression_algorithm);
  out.U64(body.message_expiry_us);
  out.U64(body.max_topic_size_bytes);
  return std::move(out).Take();
}

Bytes Encode(const TopicBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  WriteId(out, body.topic);
  return std::move(out).Take();
}

Bytes Encode(const PartitionsBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  WriteId(out, body.topic);
  out.U32(body.count);
  return std::move(out).Take();
}

Bytes Encode(const CreateGroupBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  WriteId(out, body.topic);
  out.Name(body.name);
  return std::move(out).Take();
}

Bytes Encode(const GroupBody& body) {
  ByteWriter out;
  WriteId(out, body.stream);
  WriteId(out, body.topic);
  WriteId(out, body.group);
  return std::move(out).Take();
}

absl::StatusOr<CreateStreamBody> DecodeCreateStream(ByteSpan bytes) {
  return DecodeWith<CreateStreamBody>(bytes, "create_stream body", [](ByteReader& in) {
    return CreateStreamBody{in.Name()};
  });
}

absl::StatusOr<UpdateStreamBody> DecodeUpdateStream(ByteSpan bytes) {
  return DecodeWith<UpdateStreamBody>(bytes, "update_stream body", [](ByteReader& in) {
    UpdateStreamBody body;
    body.stream = ReadId(in);
    body.name = in.Name();
    return body;
  });
}

absl::StatusOr<StreamBody> DecodeStreamBody(ByteSpan bytes) {
  return DecodeWith<StreamBody>(bytes, "stream body",
                                [](ByteReader& in) { return StreamBody{ReadId(in)}; });
}

absl::StatusOr<CreateTopicBody> DecodeCreateTopic(ByteSpan bytes) {
  return DecodeWith<CreateTopicBody>(bytes, "create_topic body", [](ByteReader& in) {
    CreateTopicBody body;
    body.stream = ReadId(in);
    body.partitions_count = in.U32();
    body.name = in.Name();
    body.settings.compression_algorithm = in.U8();
    body.settings.message_expiry_us = in.U64();
    body.settings.max_topic_size_bytes = in.U64();
    body.settings.segment_size_bytes = in.U64();
    return body;
  });
}

absl::StatusOr<UpdateTopicBody> DecodeUpdateTopic(ByteSpan bytes) {
  return DecodeWith<UpdateTopicBody>(bytes, "update_topic body", [](ByteReader& in) {
    UpdateTopicBody body;
    body.stream = ReadId(in);
    body.topic = ReadId(in);
    body.name = in.Name();
    body.present = in.U8();
    constexpr uint8_t kKnown = kUpdateCompression | kUpdateMessageExpiry | kUpdateMaxTopicSize;
    if ((body.present & ~kKnown) != 0) in.Fail("unknown bits in the update_topic present mask");
    body.compression_algorithm = in.U8();
    body.message_expiry_us = in.U64();
    body.max_topic_size_bytes = in.U64();
    return body;
  });
}

absl::StatusOr<TopicBody> DecodeTopicBody(ByteSpan bytes) {
  return DecodeWith<TopicBody>(bytes, "topic body", [](ByteReader& in) {
    TopicBody body;
    body.stream = ReadId(in);
    body.topic = ReadId(in);
    return body;
  });
}

absl::StatusOr<PartitionsBody> DecodePartitions(ByteSpan bytes) {
  return DecodeWith<PartitionsBody>(bytes, "partitions body", [](ByteReader& in) {
    PartitionsBody body;
    body.stream = ReadId(in);
    body.topic = ReadId(in);
    body.count = in.U32();
    return body;
  });
}

absl::StatusOr<CreateGroupBody> DecodeCreateGroup(ByteSpan bytes) {
  return DecodeWith<CreateGroupBody>(bytes, "create_consumer_group body", [](ByteReader& in) {
    CreateGroupBody body;
    body.stream = ReadId(in);
    body.topic = ReadId(in);
    body.name = in.Name();
    return body;
  });
}

absl::StatusOr<GroupBody> DecodeGroupBody(ByteSpan bytes) {
  return DecodeWith<GroupBody>(bytes, "consumer_group body", [](ByteReader& in) {
    GroupBody body;
    body.stream = ReadId(in);
    body.topic = ReadId(in);
    body.group = ReadId(in);
    return body;
  });
}

}  // namespace sluice::metadata
