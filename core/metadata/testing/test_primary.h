#pragma once
// Test-only: a stand-in for the primary's side of metadata ops — it turns plain
// passwords and tokens into the hashes op bodies carry, the way the real primary
// must (DESIGN.md "Secrets never enter the log"), and applies ops with increasing op
// numbers and timestamps.
//
// The "KDF" here is XXH3-128 over a domain tag, the salt and the password: fast, and
// enough to prove that bodies and snapshots hold no plain secret. The production
// primary uses core/metadata/password_kdf.h (Argon2id), deliberately slow.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/strings/string_view.h"
#include "core/base/bytes.h"
#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata::testing {

inline constexpr uint64_t kStartTimestampUs = 1'700'000'000'000'000;

class TestPrimary {
 public:
  // A fresh 16-byte salt per call (deterministic: a counter through XXH3).
  Bytes NextSalt();
  static Bytes HashPassword(ByteSpan salt, absl::string_view password);
  static Bytes HashToken(absl::string_view token);

  Bytes CreateUser(absl::string_view name, absl::string_view password,
                   UserStatus status = UserStatus::kActive,
                   std::optional<Bytes> permissions = std::nullopt);
  // Hashes `current` with the user's stored salt (what the primary does before
  // preparing); a user that does not exist gets a dummy salt.
  Bytes ChangePassword(const MetadataState& state, uint32_t user_id, absl::string_view current,
                       absl::string_view next);
  Bytes LoginWithPassword(const MetadataState& state, uint32_t user_id,
                          absl::string_view password);
  static Bytes LoginWithToken(uint32_t user_id, absl::string_view token);
  static Bytes CreateToken(uint32_t user_id, absl::string_view name, absl::string_view token,
                           uint64_t expiry_at_us);

 private:
  uint64_t salts_made_ = 0;
};

// Applies ops to `state` with op numbers last_applied_op + 1, … and timestamps one second apart,
// numbering each client's requests 1, 2, 3, … (a Register uses request 0).
class MetadataDriver {
 public:
  explicit MetadataDriver(MetadataConfig config = {}) : state(NewMetadataState(config)) {}

  ApplyResult Run(wire::Operation operation, const Bytes& body, absl::uint128 client = 0);
  // The context the next Run would use (for tests that call Apply themselves).
  OpContext NextContext(wire::Operation operation, absl::uint128 client);
  // Advances the clock without applying anything.
  void AdvanceTimeUs(uint64_t delta_us) { timestamp_us += delta_us; }

  MetadataState state;
  uint64_t timestamp_us = kStartTimestampUs;
  std::map<absl::uint128, uint64_t> last_request;
};

// The u32 at the start of a success payload (a created id); asserts it is there.
uint32_t IdOf(const ApplyResult& result);

}  // namespace sluice::metadata::testing
