#include "core/io/io_error.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace sluice::io {
namespace {

// Values from Linux's <errno.h>; core/ may not include OS headers, and these
// numbers are part of the Linux ABI.
constexpr int kEperm = 1, kEnoent = 2, kEio = 5, kEbadf = 9, kEexist = 17, kExdev = 18,
              kEnotdir = 20, kEisdir = 21, kEinval = 22, kEnospc = 28, kErofs = 30,
              kEnotempty = 39, kEnametoolong = 36, kEacces = 13;

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
    default: return {"errno", absl::StatusCode::kInternal};
  }
}

bool HasPrefix(const absl::Status& status, absl::StatusCode code, absl::string_view name) {
  return status.code() == code && absl::StartsWith(status.message(), name) &&
         status.message().size() > name.size() && status.message()[name.size()] == ':';
}

}  // namespace

absl::Status ErrnoStatus(int error_number, absl::string_view context) {
  const ErrnoInfo info = Describe(error_number);
  if (info.code == absl::StatusCode::kInternal) {
    return absl::InternalError(absl::StrCat("errno ", error_number, ": ", context));
  }
  return absl::Status(info.code, absl::StrCat(info.name, ": ", context));
}

bool IsEio(const absl::Status& status) {
  return HasPrefix(status, absl::StatusCode::kDataLoss, "EIO");
}
bool IsEnospc(const absl::Status& status) {
  return HasPrefix(status, absl::StatusCode::kResourceExhausted, "ENOSPC");
}
bool IsEnoent(const absl::Status& status) {
  return HasPrefix(status, absl::StatusCode::kNotFound, "ENOENT");
}
bool IsEexist(const absl::Status& status) {
  return HasPrefix(status, absl::StatusCode::kAlreadyExists, "EEXIST");
}

}  // namespace sluice::io
