#include "io_backends/uring/tcp_handshake.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace sluice::uring {
namespace {

constexpr size_t kCommandOffset = 60;
constexpr size_t kReplicaOffset = 61;
constexpr size_t kMagicOffset = 128;
constexpr size_t kVersionOffset = 144;
constexpr size_t kSenderOffset = 152;
constexpr size_t kReceiverOffset = 160;
constexpr size_t kReplicaCountOffset = 168;
constexpr size_t kFieldsEnd = 176;
constexpr char kMagic[] = "sluice-tcp-hello";
constexpr size_t kMagicSizeBytes = sizeof(kMagic) - 1;
static_assert(kMagicSizeBytes == 16);
constexpr uint64_t kVersion = 1;

}  // namespace

std::array<uint8_t, kHelloSizeBytes> EncodeHello(const Hello& hello) {
  std::array<uint8_t, kHelloSizeBytes> frame{};
  base::StoreLittleEndian<uint32_t>(frame, io::kFrameSizeFieldOffset, kHelloSizeBytes);
  frame[kReplicaOffset] = static_cast<uint8_t>(hello.sender);
  std::memcpy(frame.data() + kMagicOffset, kMagic, kMagicSizeBytes);
  base::StoreLittleEndian<uint64_t>(frame, kVersionOffset, kVersion);
  base::StoreLittleEndian<uint64_t>(frame, kSenderOffset, hello.sender);
  base::StoreLittleEndian<uint64_t>(frame, kReceiverOffset, hello.receiver);
  base::StoreLittleEndian<uint64_t>(frame, kReplicaCountOffset, hello.replica_count);
  return frame;
}

absl::StatusOr<Hello> DecodeHello(ByteSpan frame) {
  if (frame.size() != kHelloSizeBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello of ", frame.size(), " bytes, not ", kHelloSizeBytes));
  }
  if (std::memcmp(frame.data() + kMagicOffset, kMagic, kMagicSizeBytes) != 0 ||
      frame[kCommandOffset] != 0) {
    return absl::InvalidArgumentError("not a hello (magic or command)");
  }
  const uint64_t version = base::LoadLittleEndian<uint64_t>(frame, kVersionOffset);
  if (version != kVersion) {
    return absl::InvalidArgumentError(
        absl::StrCat("hello version ", version, ", this node speaks ", kVersion));
  }
  const bool rest_zero =
      std::all_of(frame.begin() + kFieldsEnd, frame.end(), [](uint8_t byte) { return byte == 0; });
  if (!rest_zero) return absl::InvalidArgumentError("hello with non-zero reserved bytes");
  Hello hello;
  hello.sender = base::LoadLittleEndian<uint64_t>(frame, kSenderOffset);
  hello.receiver = base::LoadLittleEndian<uint64_t>(frame, kReceiverOffset);
  hello.replica_count = base::LoadLittleEndian<uint64_t>(frame, kReplicaCountOffset);
  return hello;
}

}  // namespace sluice::uring
