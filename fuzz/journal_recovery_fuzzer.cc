// Fuzz target: metadata WAL recovery over a valid WAL mutated by the input
// (journal_recovery_target.h has the oracles, journal_program.h the input format).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_support.h"
#include "fuzz/journal_recovery_target.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sluice::fuzz::CheckJournalRecoveryInput(sluice::fuzz::InputBytes(data, size), nullptr);
  return 0;
}
