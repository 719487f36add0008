// Fuzz target: a one-replica cluster's whole boot over a data directory the replica
// wrote, mutated by the input (bootstrap_target.h has the oracles,
// bootstrap_program.h the input format, bootstrap_image.h the base directory).
#include <cstddef>
#include <cstdint>

#include "fuzz/bootstrap_target.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::CheckBootstrapInput(sluice::fuzz::InputBytes(data, size), nullptr);
  return 0;
}
