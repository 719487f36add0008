#include "core/io/io_error.h"

#include <gtest/gtest.h>

#include "core/base/status_macros.h"

namespace sluice::io {
namespace {

TEST(IoErrorTest, ClassifiesByErrno) {
  const absl::Status eio = ErrnoStatus(5, "read 4096 bytes at 0 of x.log");
  EXPECT_TRUE(IsEio(eio));
  EXPECT_FALSE(IsEnospc(eio));
  EXPECT_EQ(eio.message(), "EIO: read 4096 bytes at 0 of x.log");
  EXPECT_TRUE(IsEnospc(ErrnoStatus(28, "write")));
  EXPECT_TRUE(IsEnoent(ErrnoStatus(2, "open")));
  EXPECT_TRUE(IsEexist(ErrnoStatus(17, "create")));
  EXPECT_EQ(ErrnoStatus(99, "odd").code(), absl::StatusCode::kInternal);
  EXPECT_FALSE(IsEio(absl::DataLossError("checksum mismatch")));
  EXPECT_FALSE(IsEio(absl::DataLossError("EIO: looks like one but is not")));
  const absl::Status annotated = base::Annotate(eio, "reading segment 7");
  EXPECT_TRUE(IsEio(annotated));
  EXPECT_EQ(annotated.message(), "reading segment 7: EIO: read 4096 bytes at 0 of x.log");
}

}  // namespace
}  // namespace sluice::io
