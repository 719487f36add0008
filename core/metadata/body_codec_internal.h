#pragma once
// Internal to the body codec: the field encodings every body shares.

#include "absl/status/statusor.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/identifier.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata::body_internal {

void WriteId(ByteWriter& out, const Identifier& id);
Identifier ReadId(ByteReader& in);

// Hash: [len:u8][1..kSecretHashBytesMax bytes].
void WriteHash(ByteWriter& out, const Bytes& hash);
Bytes ReadHash(ByteReader& in);

// Perms: [has:u8] then, if has = 1, [len:u32][bytes].
void WritePermissions(ByteWriter& out, const std::optional<Bytes>& permissions);
std::optional<Bytes> ReadPermissions(ByteReader& in);

// Decodes with `read`, then checks every byte was consumed.
template <typename Body, typename Read>
absl::StatusOr<Body> DecodeWith(ByteSpan bytes, absl::string_view what, Read read) {
  ByteReader in(bytes, what);
  Body body = read(in);
  if (absl::Status status = in.Finish(); !status.ok()) return status;
  return body;
}

}  // namespace sluice::metadata::body_internal
