// Fuzz target: the prepare frame decoder (core/wire/header.h: DecodePrepare and
// CheckFramePrefix), the edge where replica-port and on-disk frames enter (rule B13).
//
// Oracle, for every input and for a resealed copy of it (fuzz_support.h):
//  - a rejection is DataLoss or InvalidArgument with a message, and equals what
//    CheckFramePrefix says when the prefix is what failed;
//  - an accepted frame has size field == frame length, the fixed cluster, a
//    replicated operation, a ValidatedPrepare viewing exactly the input, and
//    EncodePrepare(decoded header, body) reproduces the frame byte for byte;
//  - the same frame is refused for any other cluster;
//  - a SendMessages body that DecodeBatch accepts is the batch BatchOfPrepare shows.

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/wire/batch.h"
#include "core/wire/command.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"
#include "core/wire/prepare_batch.h"
#include "fuzz/fuzz_support.h"

namespace sluice::fuzz {
namespace {

void CheckRejection(ByteSpan frame, const absl::Status& status) {
  SLUICE_ASSERT(status.code() == absl::StatusCode::kDataLoss ||
                    status.code() == absl::StatusCode::kInvalidArgument,
                "unexpected code: ", status.ToString());
  SLUICE_ASSERT(!status.message().empty(), "a rejection must say why");
  const absl::Status prefix = wire::CheckFramePrefix(frame, kCluster, wire::Command::kPrepare);
  // DecodePrepare's first step is CheckFramePrefix: when the prefix fails, that is its answer.
  if (!prefix.ok()) SLUICE_ASSERT(prefix == status, prefix.ToString(), " vs ", status.ToString());
}

void CheckBatchOfPrepare(const wire::ValidatedPrepare& prepare) {
  if (prepare.header().operation != wire::Operation::kSendMessages) return;
  const absl::StatusOr<wire::ValidatedBatch> decoded = wire::DecodeBatch(prepare.body());
  if (!decoded.ok()) return;  // BatchOfPrepare trusts its caller to have validated the body.
  const wire::ValidatedBatch batch = wire::BatchOfPrepare(prepare);
  SLUICE_ASSERT(batch.bytes().data() == decoded->bytes().data() &&
                batch.bytes().size() == decoded->bytes().size());
  uint32_t count = 0;
  for (const wire::MessageView& message : batch) {
    SLUICE_ASSERT(message.offset == batch.base_offset() + count, "message ", count);
    ++count;
  }
  SLUICE_ASSERT(count == batch.message_count(), count, " messages iterated, ",
                batch.message_count(), " declared");
}

void CheckFrame(ByteSpan frame) {
  const absl::StatusOr<wire::ValidatedPrepare> prepare = wire::DecodePrepare(frame, kCluster);
  if (!prepare.ok()) {
    CheckRejection(frame, prepare.status());
    return;
  }
  SLUICE_ASSERT(wire::CheckFramePrefix(frame, kCluster, wire::Command::kPrepare).ok());
  SLUICE_ASSERT(frame.size() >= wire::kHeaderSize, frame.size());
  SLUICE_ASSERT(base::LoadLittleEndian<uint32_t>(frame, wire::header_offset::kSize) == frame.size(),
                "size field disagrees with the frame of ", frame.size(), " bytes");
  SLUICE_ASSERT(prepare->frame().data() == frame.data() && prepare->frame().size() == frame.size());
  SLUICE_ASSERT(prepare->body().size() == frame.size() - wire::kHeaderSize);
  SLUICE_ASSERT(prepare->checksum() == wire::PrepareChecksum(frame));
  SLUICE_ASSERT(prepare->header().cluster == kCluster);
  SLUICE_ASSERT(wire::IsReplicatedOperation(prepare->header().operation));

  const Bytes reencoded = wire::EncodePrepare(prepare->header(), prepare->body());
  SLUICE_ASSERT(reencoded.size() == frame.size() &&
                    std::equal(reencoded.begin(), reencoded.end(), frame.begin()),
                "EncodePrepare of the decoded header does not reproduce the frame");

  const absl::StatusOr<wire::ValidatedPrepare> foreign = wire::DecodePrepare(frame, kCluster + 1);
  SLUICE_ASSERT(!foreign.ok() && foreign.status().code() == absl::StatusCode::kInvalidArgument,
                "a frame of another cluster was accepted");
  CheckBatchOfPrepare(*prepare);
}

// The shared prefix check, for whatever command the frame claims (any byte, declared
// or not): a frame it accepts for one command it refuses for another.
void CheckClaimedCommand(ByteSpan frame) {
  if (frame.size() < wire::kHeaderSize) return;
  const uint8_t command = frame[wire::header_offset::kCommand];
  if (!wire::CheckFramePrefix(frame, kCluster, static_cast<wire::Command>(command)).ok()) return;
  const absl::Status other =
      wire::CheckFramePrefix(frame, kCluster, static_cast<wire::Command>(command ^ 1));
  SLUICE_ASSERT(other.code() == absl::StatusCode::kInvalidArgument, "command ", int{command},
                " frame accepted as command ", command ^ 1, ": ", other.ToString());
}

}  // namespace
}  // namespace sluice::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const sluice::ByteSpan input = sluice::fuzz::InputBytes(data, size);
  sluice::fuzz::CheckFrame(input);
  sluice::Bytes resealed(input.begin(), input.end());
  sluice::fuzz::ResealFrame(resealed);
  sluice::fuzz::CheckFrame(resealed);
  sluice::fuzz::CheckClaimedCommand(resealed);
  return 0;
}
