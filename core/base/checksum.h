#pragma once
// Checksums. Sluice's own header, body and record checksums are XXH3-128
// (FORMATS.md §1); Iggy's message-level checksums are XXH3-64 (PROTOCOL.md §6).
// Both are stable across machines and compilers (libxxhash's canonical output).

#include <cstdint>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"

namespace sluice::base {

uint64_t Checksum64(ByteSpan bytes);
absl::uint128 Checksum128(ByteSpan bytes);

// Incremental XXH3-128 over several pieces; equals Checksum128 of their concatenation.
class Checksum128Builder {
 public:
  Checksum128Builder();
  ~Checksum128Builder();
  Checksum128Builder(const Checksum128Builder&) = delete;
  Checksum128Builder& operator=(const Checksum128Builder&) = delete;

  void Add(ByteSpan bytes);
  absl::uint128 Finish() const;

 private:
  void* state_;  // XXH3_state_t, kept opaque so callers need not include xxhash.h.
};

}  // namespace sluice::base
