#pragma once
// How storage and network errors cross the core/io boundary.
//
// Backends report an operating-system error as an absl::Status whose code is fixed
// by the kind of error and whose message starts with the errno name, so callers can
// both branch on it (IsEnospc, ...) and show a precise message:
//   EIO    -> kDataLoss           "EIO: read 4096 bytes at 8192 of streams/0/...log"
//   ENOSPC -> kResourceExhausted  "ENOSPC: ..."
//   ENOENT -> kNotFound           "ENOENT: ..."
//   EEXIST -> kAlreadyExists      "EEXIST: ..."
//   others -> kFailedPrecondition / kInvalidArgument / kInternal with their name.

#include "absl/strings/string_view.h"

#include "absl/status/status.h"

namespace sluice::io {

// The errno travels as a payload, so the Is* checks still work after context has
// been prepended (base::Annotate keeps payloads).
// Builds the status for an errno value (positive, as in <errno.h>) with context.
absl::Status ErrnoStatus(int error_number, absl::string_view context);

// Whether `status` came from the operating system (any errno), whatever its code: EIO
// is kDataLoss, the same code as a checksum mismatch, and only this tells them apart.
bool IsOsError(const absl::Status& status);
bool IsEio(const absl::Status& status);     // EIO
bool IsEnospc(const absl::Status& status);     // ENOSPC
bool IsEnoent(const absl::Status& status);    // ENOENT
bool IsEexist(const absl::Status& status);  // EEXIST

}  // namespace sluice::io
