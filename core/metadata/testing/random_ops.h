#pragma once
// Test-only: metadata ops built from small integers, so RapidCheck can generate and
// shrink sequences of them. Names and ids come from small pools so that collisions
// (name already exists, lowest-free-slot reuse, limits) happen often.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"
#include "core/metadata/testing/test_primary.h"
#include "core/wire/operation.h"

namespace sluice::metadata::testing {

// What RapidCheck generates: `kind` picks the operation (through a weighted table),
// a/b/c its arguments.
struct OpSeed {
  uint8_t kind = 0;
  uint8_t a = 0;
  uint8_t b = 0;
  uint8_t c = 0;
};

inline constexpr uint8_t kOpKinds = 26;
// The last kind sends a random body to a random metadata operation.
inline constexpr uint8_t kGarbageKind = kOpKinds - 1;

// True if `seed` builds the garbage kind (which a model cannot predict).
bool IsGarbage(const OpSeed& seed);

struct BuiltOp {
  wire::Operation operation = wire::Operation::kReserved;
  Bytes body;
  absl::uint128 client = 0;  // 1..3 for session ops, else 0 (primary-made)
};

// Builds the op `seed` describes against `state` (a login hashes with the user's
// current salt, as the primary would). A user's password is "pw-" + its name (so
// a login can be right or, on purpose, wrong); tokens are "secret<n>".
BuiltOp BuildOp(const OpSeed& seed, const MetadataState& state, TestPrimary& primary);

// Builds the op and applies it through `driver` (which numbers ops and requests).
ApplyResult ApplySeed(MetadataDriver& driver, TestPrimary& primary, const OpSeed& seed);

// The body creating the root user "root" / "pw-root".
Bytes RootUserBody(TestPrimary& primary);

// Small widths, so the TooMany* limits are reached: 4 streams, 2 topics, 8 partitions.
MetadataConfig SmallConfig();

}  // namespace sluice::metadata::testing
