// Fuzz target: recovery's classification of a segment's bytes (oracles in
// segment_scan_target.cc).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "fuzz/segment_scan_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::CheckSegmentScanInput(sluice::fuzz::InputBytes(data, size), nullptr);
  return 0;
}
