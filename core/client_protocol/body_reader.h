#pragma once
// Internal: the bounds-checked reader every request decoder uses.
//
// It never reads past its span and never crashes, whatever the input: the first
// failure (too few bytes, a bad length, a value out of range) is remembered with the
// Iggy error the client should see, every later read returns zero/empty, and Finish()
// turns it into a StatusReply rejection naming the body, the field and its byte
// offset. So a decoder reads its fields straight through and checks once at the end.
// Lengths read from input are checked against the bytes left before anything is
// allocated for them; the largest allocation is a 255-byte name.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/client_protocol/iggy_error.h"
#include "core/metadata/identifier.h"

namespace sluice::client_protocol::internal {

// Whether bytes after the last field are an error. Iggy's decoders ignore them
// (PROTOCOL.md §9: the Node SDK appends an unused u32 to DeleteTopic), except where
// the body's own structure runs to its end (SendMessages, options blocks, login).
enum class Trailing : uint8_t { kRefuse, kIgnore };

class BodyReader {
 public:
  // `what` names the body in messages ("create_topic body").
  BodyReader(ByteSpan bytes, absl::string_view what) : bytes_(bytes), what_(what) {}

  uint8_t U8(absl::string_view field);
  uint32_t U32(absl::string_view field);
  uint64_t U64(absl::string_view field);
  // The next `length` bytes (a view of the input), or empty after a failure.
  ByteSpan Take(size_t length, absl::string_view field);
  // Everything not read yet.
  ByteSpan Rest();
  // [len:u8][len bytes] with min_length <= len: Iggy's Name when min_length = 1.
  std::string ShortString(absl::string_view field, size_t min_length);
  std::string Name(absl::string_view field) { return ShortString(field, 1); }
  // Iggy's Identifier (PROTOCOL.md §3). A kind other than 1/2, a numeric length other
  // than 4 or an empty name is kInvalidIdentifier; too few bytes is kInvalidCommand.
  metadata::Identifier Id(absl::string_view field);
  // [flag:u8][value:u8] style booleans: 0 or 1, anything else fails.
  bool Bool(absl::string_view field);

  // Records a failure at the current position (the first one wins).
  void Fail(IggyError error, absl::string_view field, absl::string_view reason);

  bool ok() const { return error_ == IggyError::kOk; }
  size_t position() const { return position_; }
  size_t remaining() const { return ok() ? bytes_.size() - position_ : 0; }
  IggyError error() const { return error_; }
  const std::string& message() const { return message_; }

  // OK if no read failed (and, with kRefuse, every byte was read); otherwise a
  // StatusReply rejection with the recorded error (kInvalidCommand for trailing bytes).
  absl::Status Finish(Trailing trailing) const;

 private:
  ByteSpan bytes_;
  std::string what_;
  size_t position_ = 0;
  IggyError error_ = IggyError::kOk;
  std::string message_;
};

// True if `bytes` is well-formed UTF-8 (names are UTF-8, PROTOCOL.md: "General
// conventions"; the SDK decodes them as such).
bool IsUtf8(absl::string_view bytes);

}  // namespace sluice::client_protocol::internal
