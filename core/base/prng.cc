#include "core/base/prng.h"

#include <bit>

#include "absl/numeric/int128.h"
#include "core/base/assert.h"

namespace sluice::base {

uint64_t SplitMix64Next(uint64_t& state) {
  state += 0x9E3779B97F4A7C15ULL;
  uint64_t z = state;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t DeriveSeed(uint64_t seed, uint64_t component) {
  uint64_t state = seed ^ (component * 0xD1B54A32D192ED03ULL);
  SplitMix64Next(state);
  return SplitMix64Next(state);
}

Prng::Prng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : state_) word = SplitMix64Next(state);
}

uint64_t Prng::Next() {
  const uint64_t result = std::rotl(state_[0] + state_[3], 23) + state_[0];
  const uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = std::rotl(state_[3], 45);
  return result;
}

uint64_t Prng::UniformBelow(uint64_t bound) {
  SLUICE_ASSERT(bound > 0, "UniformBelow(0) has no values to choose from");
  // Lemire: the high word of x * bound is uniform once the biased low region is rejected.
  absl::uint128 product = absl::uint128(Next()) * bound;
  uint64_t low = absl::Uint128Low64(product);
  if (low < bound) {
    const uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      product = absl::uint128(Next()) * bound;
      low = absl::Uint128Low64(product);
    }
  }
  return absl::Uint128High64(product);
}

uint64_t Prng::UniformRange(uint64_t low, uint64_t high) {
  SLUICE_ASSERT(low <= high, "empty range [", low, ", ", high, "]");
  if (low == 0 && high == UINT64_MAX) return Next();
  return low + UniformBelow(high - low + 1);
}

bool Prng::Chance(Ratio ratio) {
  SLUICE_ASSERT(ratio.denominator > 0, "ratio with zero denominator");
  SLUICE_ASSERT(ratio.numerator <= ratio.denominator, "probability above 1: ",
                ratio.numerator, "/", ratio.denominator);
  if (ratio.numerator == 0) return false;
  return UniformBelow(ratio.denominator) < ratio.numerator;
}

namespace {

constexpr int kFractionBits = 16;

// log2(x) for x >= 1, in fixed point with kFractionBits fractional bits. Integer only:
// the integer part is the bit width; each fractional bit comes from squaring the
// normalized mantissa (kept in Q1.31) and checking whether it reached 2.
uint64_t Log2Fixed(uint64_t x) {
  SLUICE_ASSERT(x >= 1);
  const int integer_part = std::bit_width(x) - 1;
  // Normalize to [2^31, 2^32): mantissa in Q1.31.
  uint64_t mantissa =
      integer_part >= 31 ? x >> (integer_part - 31) : x << (31 - integer_part);
  uint64_t result = uint64_t(integer_part) << kFractionBits;
  for (int bit = kFractionBits - 1; bit >= 0; --bit) {
    mantissa = (mantissa * mantissa) >> 31;
    if (mantissa >= (uint64_t{2} << 31)) {
      mantissa >>= 1;
      result |= uint64_t{1} << bit;
    }
  }
  return result;
}

}  // namespace

uint64_t Prng::ExponentialWithFloor(uint64_t floor, uint64_t mean) {
  if (mean == 0) return floor;
  // u uniform in [1, 2^32]; -ln(u / 2^32) = (32 - log2 u) * ln 2.
  const uint64_t u = UniformBelow(uint64_t{1} << 32) + 1;
  const uint64_t neg_log2_fixed = (uint64_t{32} << kFractionBits) - Log2Fixed(u);
  constexpr uint64_t kLn2Fixed = 45426;  // round(ln 2 * 2^16)
  const absl::uint128 scaled = absl::uint128(mean) * neg_log2_fixed * kLn2Fixed;
  uint64_t amount = absl::Uint128Low64(scaled >> (2 * kFractionBits));
  const uint64_t cap = mean > UINT64_MAX / 32 ? UINT64_MAX : mean * 32;
  if (amount > cap) amount = cap;
  return floor + amount;
}

}  // namespace sluice::base
