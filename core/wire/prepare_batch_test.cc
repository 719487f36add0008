#include "core/wire/prepare_batch.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/base/bytes.h"
#include "core/wire/batch_encoder.h"

namespace sluice::wire {
namespace {

constexpr absl::uint128 kCluster = 99;

// The path of a SendMessages entry: decode at the edge, stamp, prepare; then a
// backup (or a segment replay) decodes the prepare and reads its batch without
// re-validating it.
TEST(PrepareBatchTest, ReadsTheStampedBatchOfASendMessagesPrepare) {
  const Bytes payload = {'h', 'i'};
  const std::vector<MessageToSend> messages = {{.id = 1, .origin_timestamp = 5, .payload = payload},
                                               {.id = 2, .origin_timestamp = 9}};
  Bytes batch = *EncodeBatch(messages);
  StampBatch(*DecodeBatch(batch), batch,
             {.partition_id = 3, .base_offset = 10, .base_timestamp = 1234});
  PrepareHeader header;
  header.cluster = kCluster;
  header.operation = Operation::kSendMessages;
  header.op = 1;
  const Bytes frame = EncodePrepare(header, batch);

  absl::StatusOr<ValidatedPrepare> prepare = DecodePrepare(frame, kCluster);
  ASSERT_TRUE(prepare.ok()) << prepare.status();
  const ValidatedBatch stored = BatchOfPrepare(*prepare);
  EXPECT_EQ(stored.bytes().data(), frame.data() + kHeaderSize);
  EXPECT_EQ(stored.partition_id(), 3u);
  EXPECT_EQ(stored.last_offset(), 11u);
  std::vector<MessageView> read(stored.begin(), stored.end());
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].offset, 10u);
  EXPECT_EQ(read[1].id, 2);
  EXPECT_EQ(read[1].timestamp, 1234u);
  EXPECT_EQ(read[1].origin_timestamp, 9u);
}

TEST(PrepareBatchDeathTest, RefusesAPrepareOfAnotherOperation) {
  PrepareHeader header;
  header.cluster = kCluster;
  header.operation = Operation::kStoreConsumerOffset;
  const Bytes frame = EncodePrepare(header, Bytes(300, 0));
  const ValidatedPrepare prepare = *DecodePrepare(frame, kCluster);
  EXPECT_DEATH(BatchOfPrepare(prepare), "not send_messages");
}

}  // namespace
}  // namespace sluice::wire
