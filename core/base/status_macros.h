#pragma once
// Error propagation helpers for absl::Status / absl::StatusOr.
// Abseil 20220623 ships no public RETURN_IF_ERROR, so Sluice defines this one set.
//
//   RETURN_IF_ERROR(file.Sync());
//   ASSIGN_OR_RETURN(Header header, DecodeHeader(bytes));
//   RETURN_IF_ERROR(Write(...), "writing superblock copy ", copy);   // adds context

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

namespace sluice::base {

// Returns `status` with `context` prepended to its message ("context: message"),
// keeping its code and payloads. An OK status is returned unchanged.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace sluice::base

#define SLUICE_STATUS_CONCAT_INNER(a, b) a##b
#define SLUICE_STATUS_CONCAT(a, b) SLUICE_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr, ...)                                                      \
  do {                                                                                  \
    ::absl::Status sluice_status_ = (expr);                                             \
    if (!sluice_status_.ok()) [[unlikely]] {                                            \
      return ::sluice::base::Annotate(sluice_status_,                                   \
                                      ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__));   \
    }                                                                                   \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, expr, ...)                                                \
  ASSIGN_OR_RETURN_IMPL(SLUICE_STATUS_CONCAT(sluice_statusor_, __LINE__), lhs, expr    \
                            __VA_OPT__(, ) __VA_ARGS__)

#define ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr, ...)                                 \
  auto statusor = (expr);                                                               \
  if (!statusor.ok()) [[unlikely]] {                                                    \
    return ::sluice::base::Annotate(statusor.status(),                                  \
                                    ::absl::StrCat("" __VA_OPT__(, ) __VA_ARGS__));     \
  }                                                                                     \
  lhs = std::move(statusor).value()
