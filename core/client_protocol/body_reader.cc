#include "core/client_protocol/body_reader.h"

#include "absl/strings/str_cat.h"
#include "core/client_protocol/rejection.h"

namespace sluice::client_protocol::internal {

void BodyReader::Fail(IggyError error, absl::string_view field, absl::string_view reason) {
  if (!ok()) return;
  error_ = error;
  message_ = absl::StrCat(what_, ": ", field, " at byte ", position_, ": ", reason);
}

ByteSpan BodyReader::Take(size_t length, absl::string_view field) {
  if (!ok()) return {};
  if (length > bytes_.size() - position_) {
    Fail(IggyError::kInvalidCommand, field,
         absl::StrCat("needs ", length, " bytes, ", bytes_.size() - position_, " left"));
    return {};
  }
  const ByteSpan taken = bytes_.subspan(position_, length);
  position_ += length;
  return taken;
}

ByteSpan BodyReader::Rest() { return Take(remaining(), "rest"); }

uint8_t BodyReader::U8(absl::string_view field) {
  const ByteSpan bytes = Take(1, field);
  return bytes.empty() ? 0 : bytes[0];
}

uint32_t BodyReader::U32(absl::string_view field) {
  const ByteSpan bytes = Take(4, field);
  return bytes.empty() ? 0 : base::LoadLittleEndian<uint32_t>(bytes, 0);
}

uint64_t BodyReader::U64(absl::string_view field) {
  const ByteSpan bytes = Take(8, field);
  return bytes.empty() ? 0 : base::LoadLittleEndian<uint64_t>(bytes, 0);
}

bool BodyReader::Bool(absl::string_view field) {
  const uint8_t value = U8(field);
  if (value > 1) Fail(IggyError::kInvalidCommand, field, absl::StrCat("is ", value, ", not 0/1"));
  return value == 1;
}

std::string BodyReader::ShortString(absl::string_view field, size_t min_length) {
  const uint8_t length = U8(field);
  if (ok() && length < min_length) {
    Fail(IggyError::kInvalidCommand, field,
         absl::StrCat("length ", length, " below the minimum ", min_length));
    return {};
  }
  const ByteSpan bytes = Take(length, field);
  return std::string(bytes.begin(), bytes.end());
}

metadata::Identifier BodyReader::Id(absl::string_view field) {
  const uint8_t kind = U8(field);
  const uint8_t length = U8(field);
  if (!ok()) return {};
  if (kind == static_cast<uint8_t>(metadata::Identifier::Kind::kNumeric)) {
    if (length != 4) {
      Fail(IggyError::kInvalidIdentifier, field,
           absl::StrCat("numeric identifier of length ", length, " (must be 4)"));
      return {};
    }
    return metadata::Identifier::Numeric(U32(field));
  }
  if (kind == static_cast<uint8_t>(metadata::Identifier::Kind::kName)) {
    if (length == 0) {
      Fail(IggyError::kInvalidIdentifier, field, "empty name identifier");
      return {};
    }
    const ByteSpan bytes = Take(length, field);
    return metadata::Identifier::Named(std::string(bytes.begin(), bytes.end()));
  }
  Fail(IggyError::kInvalidIdentifier, field,
       absl::StrCat("identifier kind ", kind, " (must be 1 numeric or 2 name)"));
  return {};
}

absl::Status BodyReader::Finish(Trailing trailing) const {
  if (!ok()) return StatusReply(error_, message_);
  if (trailing == Trailing::kRefuse && position_ != bytes_.size()) {
    return StatusReply(IggyError::kInvalidCommand,
                       absl::StrCat(what_, ": ", bytes_.size() - position_,
                                    " trailing bytes at byte ", position_));
  }
  return absl::OkStatus();
}

bool IsUtf8(absl::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const auto lead = static_cast<uint8_t>(bytes[i]);
    size_t extra = 0;
    uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (extra > bytes.size() - i - 1) return false;
    for (size_t k = 1; k <= extra; ++k) {
      const auto next = static_cast<uint8_t>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are not UTF-8.
    constexpr uint32_t kMinimum[] = {0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[extra] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

}  // namespace sluice::client_protocol::internal
