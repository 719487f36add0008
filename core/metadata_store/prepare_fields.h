#pragma once
// What Apply reads of a prepare: its header fields and its body (internal to this
// package: recovery replays WAL entries and the single node applies its own).

#include "core/base/bytes.h"
#include "core/metadata/apply.h"
#include "core/wire/header.h"

namespace sluice::metadata_store {

inline metadata::OpContext ContextOf(const wire::PrepareHeader& header) {
  return {.op = header.op,
          .operation = header.operation,
          .timestamp_us = header.timestamp,
          .client = header.client,
          .request = header.request};
}

inline ByteSpan BodyOf(const Bytes& frame) { return ByteSpan(frame).subspan(wire::kHeaderSize); }

}  // namespace sluice::metadata_store
