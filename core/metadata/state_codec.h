#pragma once
// The encoding of a whole MetadataState: the body of a snapshot (snapshot_codec.h
// adds the header and checksum). Deterministic: the same state always encodes to the
// same bytes, because every container is walked in its (ordered) key order; and
// canonical: DecodeState accepts only what EncodeState produces, so
// Encode(Decode(bytes)) == bytes for every accepted input.
//
// Layout (little-endian; Name = [len:u8][1..255]; Blob8 = [len:u8][bytes];
// Blob32 = [len:u32][bytes]; counts are u32 and keys strictly ascending):
//   config     stream_bits u8, topic_bits u8, partition_bits u8, clients_max u32
//   last_applied_op u64, next_step_id u64
//   streams    count, each: id u32, Name, created_at u64, topics count, each topic:
//              id u32, Name, created_at u64, compression u8, message_expiry u64,
//              max_topic_size u64, segment_size u64, next_group_id u32,
//              partitions count, each: incarnation u64, created_at u64;
//              groups count, each: id u32, Name, generation u64, members count,
//              each: member u64, assigned count, each: partition u32
//   users      count, each: id u32, Name, created_at u64, status u8, salt Blob8,
//              hash Blob8, has_permissions u8 [Blob32], tokens count, each:
//              Name, token_hash Blob8, expiry_at u64
//   clients    count, each: client u128, session u64, user u32, registered_at u64,
//              last_request u64, last_op u64, error u32, payload Blob32
//   steps      count, each: id u64, kind u8, stream u32, topic u32, partition u32,
//              incarnation u64, group u32
//
// DecodeState never crashes and never allocates more than the input can describe;
// besides the layout it checks the state's invariants (namespace widths and every
// id within them — rule B9 —, unique names per scope, group ids below next_group_id,
// assignments equal to the deterministic rebalance, step ids below next_step_id,
// client table within its capacity) and names the first violation.

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"

namespace sluice::metadata {

Bytes EncodeState(const MetadataState& state);
absl::StatusOr<MetadataState> DecodeState(ByteSpan bytes);

}  // namespace sluice::metadata
