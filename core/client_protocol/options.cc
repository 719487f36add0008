#include "core/client_protocol/options.h"

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/body_writer.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol {
namespace {

using internal::BodyReader;
using internal::BodyWriter;

constexpr size_t kFieldBytesMax = 255;
constexpr uint8_t kKindMax = 15;
constexpr uint64_t kSegmentAlignment = 512;

// The width of each fixed-width kind (PROTOCOL.md §3); 0 for variable-width kinds.
size_t FixedWidth(uint8_t kind) {
  switch (kind) {
    case 3:
    case 4:
    case 9:
      return 1;  // Bool, Int8, Uint8
    case 5:
    case 10:
      return 2;  // Int16, Uint16
    case 6:
    case 11:
    case 14:
      return 4;  // Int32, Uint32, Float
    case 7:
    case 12:
    case 15:
      return 8;  // Int64, Uint64, Double
    case 8:
    case 13:
      return 16;  // Int128, Uint128
    default:
      return 0;  // Raw, String
  }
}

struct OptionField {
  uint8_t kind = 0;
  ByteSpan bytes;
};

// One TLV field; kInvalidCommand on any structural fault.
OptionField ReadField(BodyReader& in, absl::string_view field) {
  OptionField out;
  out.kind = in.U8(field);
  const uint32_t length = in.U32(field);
  if (!in.ok()) return {};
  if (out.kind == 0 || out.kind > kKindMax) {
    in.Fail(IggyError::kInvalidCommand, field, absl::StrCat("kind ", out.kind));
    return {};
  }
  if (length == 0 || length > kFieldBytesMax) {
    in.Fail(IggyError::kInvalidCommand, field, absl::StrCat("length ", length, " outside 1..255"));
    return {};
  }
  const size_t width = FixedWidth(out.kind);
  if (width != 0 && width != length) {
    in.Fail(IggyError::kInvalidCommand, field,
            absl::StrCat("kind ", out.kind, " needs ", width, " bytes, has ", length));
    return {};
  }
  out.bytes = in.Take(length, field);
  return out;
}

absl::string_view AsText(ByteSpan bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

// Pass 1: structure, bounds and duplicates. Allocates at most one set entry per pair
// (<= 1024, the block being <= 100 000 bytes).
absl::Status CheckStructure(ByteSpan block) {
  if (block.size() > kOptionsBytesMax) {
    return StatusReply(
        IggyError::kOptionsBlockTooLarge,
        absl::StrCat("options block of ", block.size(), " bytes (at most ", kOptionsBytesMax, ")"));
  }
  BodyReader in(block, "options block");
  absl::flat_hash_set<absl::string_view> keys;
  while (in.ok() && in.remaining() > 0) {
    if (keys.size() == kOptionsEntriesMax) {
      return StatusReply(
          IggyError::kOptionsBlockTooLarge,
          absl::StrCat("options block of more than ", kOptionsEntriesMax, " entries"));
    }
    const OptionField key = ReadField(in, "option key");
    if (in.ok() && key.kind != kOptionKindString) {
      in.Fail(IggyError::kInvalidCommand, "option key",
              absl::StrCat("kind ", key.kind, " (keys are String, 2)"));
    }
    ReadField(in, "option value");
    if (in.ok() && !keys.insert(AsText(key.bytes)).second) {
      in.Fail(IggyError::kInvalidCommand, "option key",
              absl::StrCat("'", AsText(key.bytes), "' appears twice"));
    }
  }
  return in.Finish(internal::Trailing::kRefuse);
}

absl::Status InvalidValue(absl::string_view key, absl::string_view why) {
  return StatusReply(IggyError::kInvalidOptionValue, absl::StrCat("option '", key, "': ", why));
}

template <typename T>
absl::Status ReadFixed(absl::string_view key, const OptionField& value, uint8_t kind,
                       std::optional<T>& out) {
  if (value.kind != kind) {
    return InvalidValue(key, absl::StrCat("kind ", value.kind, " (expected ", kind, ")"));
  }
  out = base::LoadLittleEndian<T>(value.bytes, 0);
  return absl::OkStatus();
}

absl::Status ReadBool(absl::string_view key, const OptionField& value, std::optional<bool>& out) {
  std::optional<uint8_t> raw;
  if (absl::Status status = ReadFixed(key, value, kOptionKindBool, raw); !status.ok()) {
    return status;
  }
  if (*raw > 1) return InvalidValue(key, absl::StrCat("bool value ", *raw));
  out = *raw == 1;
  return absl::OkStatus();
}

absl::Status ReadCompression(absl::string_view key, const OptionField& value,
                             std::optional<uint8_t>& out) {
  if (value.kind != kOptionKindString) {
    return InvalidValue(key, absl::StrCat("kind ", value.kind, " (expected String)"));
  }
  const absl::string_view text = AsText(value.bytes);
  if (text == "none") {
    out = metadata::kCompressionNone;
  } else if (text == "gzip") {
    out = metadata::kCompressionGzip;
  } else {
    return InvalidValue(key, absl::StrCat("'", text, "' (expected none or gzip)"));
  }
  return absl::OkStatus();
}

bool AllowedIn(absl::string_view key, OptionsCatalog catalog) {
  if (catalog == OptionsCatalog::kStream) return false;
  const bool updatable =
      key == "compression_algorithm" || key == "message_expiry" || key == "max_topic_size";
  if (catalog == OptionsCatalog::kTopicUpdate) return updatable;
  return updatable || key == "segment_size" || key == "enforce_fsync" ||
         key == "messages_required_to_save" || key == "size_of_messages_required_to_save" ||
         key == "preallocate_segments";
}

absl::Status ApplyOption(absl::string_view key, const OptionField& value, TopicOptions& out) {
  if (key == "compression_algorithm") return ReadCompression(key, value, out.compression_algorithm);
  if (key == "message_expiry")
    return ReadFixed(key, value, kOptionKindUint64, out.message_expiry_us);
  if (key == "max_topic_size") {
    return ReadFixed(key, value, kOptionKindUint64, out.max_topic_size_bytes);
  }
  if (key == "segment_size")
    return ReadFixed(key, value, kOptionKindUint64, out.segment_size_bytes);
  if (key == "enforce_fsync") return ReadBool(key, value, out.enforce_fsync);
  if (key == "messages_required_to_save") {
    return ReadFixed(key, value, kOptionKindUint32, out.messages_required_to_save);
  }
  if (key == "size_of_messages_required_to_save") {
    return ReadFixed(key, value, kOptionKindUint64, out.size_of_messages_required_to_save);
  }
  return ReadBool(key, value, out.preallocate_segments);  // AllowedIn admitted nothing else
}

void WriteField(BodyWriter& out, uint8_t kind, ByteSpan bytes) {
  out.U8(kind);
  out.U32(static_cast<uint32_t>(bytes.size()));
  out.Raw(bytes);
}

template <typename T>
void WriteOption(BodyWriter& out, absl::string_view key, uint8_t kind, T value) {
  WriteField(out, kOptionKindString, base::AsBytes(key));
  uint8_t bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  WriteField(out, kind, ByteSpan(bytes, sizeof(T)));
}

}  // namespace

absl::StatusOr<TopicOptions> DecodeOptions(ByteSpan block, OptionsCatalog catalog) {
  if (absl::Status status = CheckStructure(block); !status.ok()) return status;
  TopicOptions options;
  BodyReader in(block, "options block");
  while (in.remaining() > 0) {
    const OptionField key_field = ReadField(in, "option key");
    const OptionField value = ReadField(in, "option value");
    const absl::string_view key = AsText(key_field.bytes);
    if (!AllowedIn(key, catalog)) {
      return StatusReply(IggyError::kUnsupportedOptionKey,
                         absl::StrCat("option key '", key, "' is not supported here"));
    }
    if (absl::Status status = ApplyOption(key, value, options); !status.ok()) return status;
  }
  return options;
}

Bytes EncodeTopicOptions(const TopicOptions& options) {
  BodyWriter out;
  if (options.compression_algorithm.has_value()) {
    WriteField(out, kOptionKindString, base::AsBytes("compression_algorithm"));
    WriteField(out, kOptionKindString,
               base::AsBytes(
                   *options.compression_algorithm == metadata::kCompressionGzip ? "gzip" : "none"));
  }
  if (options.message_expiry_us) {
    WriteOption(out, "message_expiry", kOptionKindUint64, *options.message_expiry_us);
  }
  if (options.max_topic_size_bytes) {
    WriteOption(out, "max_topic_size", kOptionKindUint64, *options.max_topic_size_bytes);
  }
  if (options.segment_size_bytes) {
    WriteOption(out, "segment_size", kOptionKindUint64, *options.segment_size_bytes);
  }
  if (options.enforce_fsync) {
    WriteOption(out, "enforce_fsync", kOptionKindBool, uint8_t{*options.enforce_fsync});
  }
  if (options.messages_required_to_save) {
    WriteOption(out, "messages_required_to_save", kOptionKindUint32,
                *options.messages_required_to_save);
  }
  if (options.size_of_messages_required_to_save) {
    WriteOption(out, "size_of_messages_required_to_save", kOptionKindUint64,
                *options.size_of_messages_required_to_save);
  }
  if (options.preallocate_segments) {
    WriteOption(out, "preallocate_segments", kOptionKindBool,
                uint8_t{*options.preallocate_segments});
  }
  return std::move(out).Take();
}

metadata::TopicSettings CreateTopicSettings(const TopicOptions& options) {
  return {
      .compression_algorithm = options.compression_algorithm.value_or(metadata::kCompressionNone),
      .message_expiry_us = options.message_expiry_us.value_or(0),
      .max_topic_size_bytes = options.max_topic_size_bytes.value_or(0),
      .segment_size_bytes = options.segment_size_bytes.value_or(0)};
}

metadata::TopicSettings ResolvedTopicSettings(const TopicOptions& options) {
  metadata::TopicSettings settings = CreateTopicSettings(options);
  if (settings.message_expiry_us == 0) settings.message_expiry_us = metadata::kNever;
  if (settings.max_topic_size_bytes == 0) settings.max_topic_size_bytes = metadata::kUnlimited;
  if (settings.segment_size_bytes == 0) {
    settings.segment_size_bytes = metadata::kSegmentSizeDefault;
  }
  return settings;
}

absl::Status CheckTopicBounds(const TopicOptions& options) {
  const metadata::TopicSettings settings = ResolvedTopicSettings(options);
  const uint64_t segment = settings.segment_size_bytes;
  if (segment < metadata::kSegmentSizeMin || segment > metadata::kSegmentSizeDefault ||
      segment % kSegmentAlignment != 0) {
    return InvalidValue("segment_size",
                        absl::StrCat(segment, " bytes (1 MiB..1 GiB, a multiple of 512)"));
  }
  if (settings.max_topic_size_bytes < segment) {
    return StatusReply(IggyError::kInvalidTopicSize,
                       absl::StrCat("max_topic_size ", settings.max_topic_size_bytes,
                                    " below the segment size ", segment));
  }
  return absl::OkStatus();
}

}  // namespace sluice::client_protocol
