#include "core/wire/prepare_batch.h"

#include "core/base/assert.h"

namespace sluice::wire {

ValidatedBatch BatchOfPrepare(const ValidatedPrepare& prepare) {
  SLUICE_ASSERT(prepare.header().operation == Operation::kSendMessages, "prepare op ",
                prepare.header().op, " carries operation ",
                OperationName(prepare.header().operation), ", not send_messages");
  const ByteSpan body = prepare.body();
  SLUICE_ASSERT(body.size() >= kBatchHeaderSize + kMessageHeaderSize, "prepare op ",
                prepare.header().op, " body of ", body.size(), " bytes cannot hold a batch");
  SLUICE_ASSERT(base::LoadLittleEndian<uint64_t>(body, batch_offset::kBatchLength) == body.size(),
                "prepare op ", prepare.header().op, " batch_length disagrees with its body of ",
                body.size(), " bytes");
  SLUICE_ASSERT(base::LoadLittleEndian<uint32_t>(body, batch_offset::kMessageCount) >= 1,
                "prepare op ", prepare.header().op, " batch holds no messages");
  return ValidatedBatch(body);
}

}  // namespace sluice::wire
