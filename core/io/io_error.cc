#include "core/io/io_error.h"

#include "absl/types/optional.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace sluice::io {
namespace {

// Values from Linux's <errno.h>; core/ may not include OS headers, and these
// numbers are part of the Linux ABI.
constexpr int kEperm = 1, kEnoent = 2, kEio = 5, kEbadf = 9, kEexist = 17, kExdev = 18,
              kEnotdir = 20, kEisdir = 21, kEinval = 22, kEnospc = 28, kErofs = 30,
              kEnotempty = 39, kEnametoolong = 36, kEacces = 13, kEintr = 4, kEagain = 11,
              kEbusy = 16, kEnfile = 23, kEmfile = 24, kEfbig = 27, kEloop = 40,
              kEoverflow = 75, kEdquot = 122;

struct ErrnoInfo {
  const char* name;
  absl::StatusCode code;
};

ErrnoInfo Describe(int error_number) {
  switch (error_number) {
    case kEio: return {"EIO", absl::StatusCode::kDataLoss};
    case kEnospc: return {"ENOSPC", absl::StatusCode::kResourceExhausted};
    case kEnoent: return {"ENOENT", absl::StatusCode::kNotFound};
    case kEexist: return {"EEXIST", absl::StatusCode::kAlreadyExists};
    case kEbadf: return {"EBADF", absl::StatusCode::kFailedPrecondition};
    case kEnotdir: return {"ENOTDIR", absl::StatusCode::kFailedPrecondition};
    case kEisdir: return {"EISDIR", absl::StatusCode::kFailedPrecondition};
    case kEnotempty: return {"ENOTEMPTY", absl::StatusCode::kFailedPrecondition};
    case kExdev: return {"EXDEV", absl::StatusCode::kInvalidArgument};
    case kEinval: return {"EINVAL", absl::StatusCode::kInvalidArgument};
    case kEnametoolong: return {"ENAMETOOLONG", absl::StatusCode::kInvalidArgument};
    case kEperm: return {"EPERM", absl::StatusCode::kPermissionDenied};
    case kEacces: return {"EACCES", absl::StatusCode::kPermissionDenied};
    case kErofs: return {"EROFS", absl::StatusCode::kPermissionDenied};
    case kEdquot: return {"EDQUOT", absl::StatusCode::kResourceExhausted};
    case kEfbig: return {"EFBIG", absl::StatusCode::kResourceExhausted};
    case kEnfile: return {"ENFILE", absl::StatusCode::kResourceExhausted};
    case kEmfile: return {"EMFILE", absl::StatusCode::kResourceExhausted};
    case kEintr: return {"EINTR", absl::StatusCode::kUnavailable};
    case kEagain: return {"EAGAIN", absl::StatusCode::kUnavailable};
    case kEbusy: return {"EBUSY", absl::StatusCode::kUnavailable};
    case kEloop: return {"ELOOP", absl::StatusCode::kInvalidArgument};
    case kEoverflow: return {"EOVERFLOW", absl::StatusCode::kInvalidArgument};
    default: return {"errno", absl::StatusCode::kInternal};
  }
}

constexpr absl::string_view kErrnoPayload = "sluice.io/errno";

bool HasErrno(const absl::Status& status, int error_number) {
  const absl::optional<absl::Cord> payload = status.GetPayload(kErrnoPayload);
  return payload.has_value() && *payload == absl::StrCat(error_number);
}

}  // namespace

absl::Status ErrnoStatus(int error_number, absl::string_view context) {
  const ErrnoInfo info = Describe(error_number);
  if (info.code == absl::StatusCode::kInternal) {
    absl::Status status = absl::InternalError(absl::StrCat("errno ", error_number, ": ", context));
    status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(error_number)));
    return status;
  }
  absl::Status status(info.code, absl::StrCat(info.name, ": ", context));
  status.SetPayload(kErrnoPayload, absl::Cord(absl::StrCat(error_number)));
  return status;
}

bool IsOsError(const absl::Status& status) { return status.GetPayload(kErrnoPayload).has_value(); }

bool IsEio(const absl::Status& status) {
  return HasErrno(status, kEio);
}
bool IsEnospc(const absl::Status& status) {
  return HasErrno(status, kEnospc);
}
bool IsEnoent(const absl::Status& status) {
  return HasErrno(status, kEnoent);
}
bool IsEexist(const absl::Status& status) {
  return HasErrno(status, kEexist);
}

}  // namespace sluice::io
