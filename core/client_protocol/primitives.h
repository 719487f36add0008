#pragma once
// Internal: readers and writers of the shared request fields (PROTOCOL.md §3), on
// top of BodyReader / BodyWriter. Readers record failures in the reader (all
// kInvalidCommand, except identifiers, see BodyReader::Id).

#include <optional>
#include <string>

#include "core/client_protocol/body_reader.h"
#include "core/client_protocol/body_writer.h"
#include "core/client_protocol/requests.h"

namespace sluice::client_protocol::internal {

// A Name the request creates or renames to: 1..255 bytes of UTF-8.
std::string ReadNewName(BodyReader& in, absl::string_view field);

Consumer ReadConsumer(BodyReader& in);
void WriteConsumer(BodyWriter& out, const Consumer& consumer);

// `[flag:u8][partition_id:u32]`: flag 1 present, 0 absent (the value is then ignored).
std::optional<uint32_t> ReadOptionalPartition(BodyReader& in);
void WriteOptionalPartition(BodyWriter& out, std::optional<uint32_t> partition);

Partitioning ReadPartitioning(BodyReader& in);
void WritePartitioning(BodyWriter& out, const Partitioning& partitioning);
size_t PartitioningSize(const Partitioning& partitioning);

PollingStrategy ReadPollingStrategy(BodyReader& in);
void WritePollingStrategy(BodyWriter& out, const PollingStrategy& strategy);

OffsetAck ReadAck(BodyReader& in);

size_t IdentifierSize(const Identifier& id);

}  // namespace sluice::client_protocol::internal
