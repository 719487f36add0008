#pragma once
// The project's only source of randomness for simulated behaviour.
//
// xoshiro256++ seeded through SplitMix64, with distributions written here in
// integer arithmetic, because std::*_distribution output differs between
// standard libraries and floating-point library functions may differ between
// machines. One seed gives one stream of draws on every compiler and machine.
//
// Determinism rule for callers: at most one draw per statement. Argument
// evaluation order differs between g++ and clang, so `f(rng.Next(), rng.Next())`
// would replay differently on the two toolchains.

#include <cstdint>

namespace sluice::base {

// A probability as an exact ratio (numerator / denominator), e.g. {1, 1000}.
struct Ratio {
  uint64_t numerator = 0;
  uint64_t denominator = 1;

  static constexpr Ratio Never() { return {0, 1}; }
  static constexpr Ratio Always() { return {1, 1}; }
  static constexpr Ratio PerMillion(uint64_t parts) { return {parts, 1'000'000}; }
};

// SplitMix64: expands one 64-bit seed into well-mixed words; also derives sub-seeds.
uint64_t SplitMix64Next(uint64_t& state);

// Derives an independent sub-seed for a named component (e.g. replica 2's storage)
// so that adding draws in one component does not shift another's stream.
uint64_t DeriveSeed(uint64_t seed, uint64_t component);

class Prng {
 public:
  explicit Prng(uint64_t seed);

  // Uniform over all 64-bit values.
  uint64_t Next();

  // Uniform in [0, bound); bound > 0. Unbiased (Lemire's multiply-and-reject).
  uint64_t UniformBelow(uint64_t bound);

  // Uniform in [low, high], inclusive; low <= high.
  uint64_t UniformRange(uint64_t low, uint64_t high);

  // True with probability ratio.numerator / ratio.denominator.
  bool Chance(Ratio ratio);

  // floor + an exponentially distributed amount with the given mean, truncated at
  // 32 * mean. Computed in fixed point (see prng.cc), so identical on every machine.
  uint64_t ExponentialWithFloor(uint64_t floor, uint64_t mean);

 private:
  uint64_t state_[4];
};

}  // namespace sluice::base
