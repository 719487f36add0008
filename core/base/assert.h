#pragma once
// Always-on assertions. They guard invariants in every build (release included):
// a violated invariant means the process can no longer be trusted to keep data
// safe, so it stops at once with the file, line, condition and a message.
//
//   SLUICE_ASSERT(offset <= size, "offset ", offset, " past size ", size);
//   SLUICE_UNREACHABLE("unknown command ", int(command));

#include "absl/strings/str_cat.h"

namespace sluice::base {

// Prints "file:line: assertion failed: condition: message" to stderr and aborts.
[[noreturn]] void AssertionFailed(const char* file, int line, const char* condition,
                                  const std::string& message);

}  // namespace sluice::base

#define SLUICE_ASSERT(condition, ...)                                                   \
  do {                                                                                  \
    if (!(condition)) [[unlikely]] {                                                    \
      ::sluice::base::AssertionFailed(__FILE__, __LINE__, #condition,                   \
                                      ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__));   \
    }                                                                                   \
  } while (false)

#define SLUICE_UNREACHABLE(...)                                                         \
  ::sluice::base::AssertionFailed(__FILE__, __LINE__, "unreachable",                    \
                                  ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__))
