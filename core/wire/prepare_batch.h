#pragma once
// The batch inside a SendMessages prepare, without validating it a second time.
//
// A partition log entry is a prepare header followed by its body, and for
// SendMessages the body is the stamped batch (FORMATS.md §3). The primary validated
// the batch with DecodeBatch when the request entered (rule B13) and stamped it before
// preparing; every later reader — a backup receiving the prepare, a replica replaying
// its segment — holds a ValidatedPrepare, whose body checksum proves the body is the
// very bytes the primary prepared. So the batch is taken as valid here.

#include "core/wire/batch.h"
#include "core/wire/header.h"

namespace sluice::wire {

// Requires prepare.header().operation == SendMessages. Asserts the cheap structural
// invariants (header present, batch_length equal to the body's length, at least one
// message); the iterator asserts every frame's bounds, so a broken invariant stops
// the process instead of reading out of bounds.
ValidatedBatch BatchOfPrepare(const ValidatedPrepare& prepare);

}  // namespace sluice::wire
