#pragma once
// Test-only: one or more valid requests of every supported command, for round trips
// and as seeds of the mutation property.

#include <vector>

#include "core/client_protocol/requests.h"

namespace sluice::client_protocol::testing {

// Every supported command at least once, with every partitioning kind, polling
// strategy, consumer kind, identifier kind and both login shapes. SendMessages
// batches view static storage (valid for the whole test binary).
std::vector<Command> SampleCommands();

// A validated batch of `count` messages over static storage.
wire::ValidatedBatch SampleBatch(uint32_t count);

}  // namespace sluice::client_protocol::testing
