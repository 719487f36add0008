#include "server/poll_budget.h"

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/client_protocol/message_payloads.h"
#include "core/wire/batch.h"

namespace sluice::server {
namespace {

constexpr size_t kReplyHeaderBytes = 256;

// Bytes of the frames first..first+count of a stored batch (validated when it was
// written: the frame lengths are trusted, but never read past the batch).
size_t SliceFrameBytes(const partition::PolledBatch& polled) {
  const Bytes& batch = polled.batch;
  size_t position = wire::kBatchHeaderSize;
  size_t bytes = 0;
  const uint32_t end = polled.first_message + polled.message_count;
  for (uint32_t index = 0; index < end; ++index) {
    SLUICE_ASSERT(position + wire::kMessageHeaderSize <= batch.size(), "a stored batch ends inside frame ", index);
    const uint32_t headers = base::LoadLittleEndian<uint32_t>(batch, position + 32);
    const uint32_t payload = base::LoadLittleEndian<uint32_t>(batch, position + 36);
    const size_t frame = wire::kMessageHeaderSize + size_t{headers} + payload;
    if (index >= polled.first_message) bytes += frame;
    position += frame;
  }
  return bytes;
}

}  // namespace

size_t PollReplyBytes(const partition::PollResult& result) {
  size_t bytes = kReplyHeaderBytes + client_protocol::kPollHeadBytes;
  for (const partition::PolledBatch& polled : result.batches) {
    bytes += wire::kBatchHeaderSize + SliceFrameBytes(polled);
  }
  return bytes;
}

absl::Status FitPollReply(partition::PollResult& result, size_t reply_bytes_max) {
  // Bounded: every round removes a record or halves the last one's messages.
  while (!result.batches.empty() && PollReplyBytes(result) > reply_bytes_max) {
    partition::PolledBatch& last = result.batches.back();
    if (result.batches.size() > 1) {
      result.message_count -= last.message_count;
      result.batches.pop_back();
      continue;
    }
    if (last.message_count == 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "one message needs a poll reply of ", PollReplyBytes(result),
          " bytes, above the client port's maximum frame size of ", reply_bytes_max));
    }
    const uint32_t dropped = last.message_count - last.message_count / 2;
    last.message_count -= dropped;
    result.message_count -= dropped;
  }
  return absl::OkStatus();
}

std::optional<uint64_t> LastPolledOffset(const partition::PollResult& result) {
  if (result.batches.empty() || result.message_count == 0) return std::nullopt;
  const partition::PolledBatch& last = result.batches.back();
  SLUICE_ASSERT(last.message_count > 0, "a polled record without messages");
  const uint64_t base_offset = base::LoadLittleEndian<uint64_t>(last.batch, 8);
  return base_offset + last.first_message + last.message_count - 1;
}

}  // namespace sluice::server
