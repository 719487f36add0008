#pragma once
// Payloads of the message commands (PROTOCOL.md §5.6, §6.1, §6.5).
//
//   SendMessages reply   [count:u32 = 1][stream_id:u32][topic_id:u32][partition_id:u32]
//                        [base_offset:u64] (no result section; Node requires the exact
//                        length)
//   GetConsumerOffset    [partition_id:u32][current_offset:u64][stored_offset:u64], or
//                        an empty payload when nothing is stored
//   PollMessages reply   [partition_id:u32][current_offset:u64][count:u32] then batch
//                        records, each a 256-byte batch header and its frames, as stored.
//                        A record that is a slice of a stored batch (the poll started
//                        or ended inside it) gets a rewritten header: message_count and
//                        batch_length of the slice and the batch checksum recomputed
//                        over them (PROTOCOL.md §6.4); base_offset and origin_timestamp
//                        stay, so offsets remain base + offset_delta, as Iggy does.

#include <cstdint>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/namespace_packing.h"
#include "core/partition/partition_log.h"

namespace sluice::client_protocol {

inline constexpr size_t kPollHeadBytes = 16;
// The poll head's partition_id telling a group member to re-sync its assignment
// (§6.5: a partition it polled is not, or no longer, its own).
inline constexpr uint32_t kResyncPartitionSentinel = 0xFFFFFFFF;

Bytes EncodeSendConfirmation(const metadata::PartitionKey& key, uint64_t base_offset);

Bytes EncodeConsumerOffset(uint32_t partition_id, uint64_t current_offset, uint64_t stored_offset);

// A poll reply without messages.
Bytes EncodePollHead(uint32_t partition_id, uint64_t current_offset);

// The poll reply for `result` (current_offset = its committed offset, 0 if none).
// DataLoss if a stored batch does not have the frames the result names (the bytes
// come from Sluice's own validated log, so this means corruption past recovery).
absl::StatusOr<Bytes> EncodePollReply(uint32_t partition_id, const partition::PollResult& result);

}  // namespace sluice::client_protocol
