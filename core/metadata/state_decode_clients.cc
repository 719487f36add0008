// DecodeState, continued: the client table, the pending steps, and the invariants
// that link parts of the state (state_codec.h).
#include <set>

#include "absl/strings/str_cat.h"
#include "core/metadata/byte_io.h"
#include "core/metadata/namespace_packing.h"
#include "core/metadata/state_codec.h"
#include "core/metadata/state_decode_internal.h"

namespace sluice::metadata::state_decode_internal {
namespace {

constexpr size_t kClientBytesMin = 60;
constexpr size_t kStepBytes = 33;

bool KnownErrorCode(uint32_t code) {
  return ErrorCodeName(static_cast<ErrorCode>(code)) != "unknown";
}

void DecodeClients(ByteReader& in, MetadataState& state) {
  const uint32_t clients = in.Count(kClientBytesMin);
  if (in.ok() && clients > state.config.clients_max) in.Fail("client table over capacity");
  std::optional<absl::uint128> previous;
  for (uint32_t i = 0; i < clients && in.ok(); ++i) {
    const absl::uint128 client = in.U128();
    if (in.ok() && client == 0) in.Fail("client id 0 in the client table");
    if (previous.has_value() && client <= *previous) in.Fail("client keys not ascending");
    previous = client;
    ClientEntry& entry = state.clients[client];
    entry.session = in.U64();
    entry.user_id = in.U32();
    entry.registered_at_us = in.U64();
    entry.last_request = in.U64();
    entry.last_op = in.U64();
    const uint32_t error = in.U32();
    if (in.ok() && !KnownErrorCode(error)) in.Fail(absl::StrCat("unknown error code ", error));
    entry.last_result.error = static_cast<ErrorCode>(error);
    entry.last_result.payload = in.LongBlob(kPermissionsBytesMax);
    if (in.ok() && !entry.last_result.ok() && !entry.last_result.payload.empty()) {
      in.Fail("an error result with a payload");
    }
  }
}

void DecodeSteps(ByteReader& in, MetadataState& state) {
  const uint32_t steps = in.Count(kStepBytes);
  std::optional<uint64_t> previous;
  for (uint32_t i = 0; i < steps && in.ok(); ++i) {
    const uint64_t id = in.U64();
    if (previous.has_value() && id <= *previous) in.Fail("step ids not ascending");
    if (in.ok() && id >= state.next_step_id) in.Fail("step id not below next_step_id");
    previous = id;
    PendingStep& step = state.pending_steps[id];
    const uint8_t kind = in.U8();
    if (kind < 1 || kind > 3) in.Fail(absl::StrCat("unknown step kind ", kind));
    step.kind = static_cast<StepKind>(kind);
    step.stream = in.U32();
    step.topic = in.U32();
    step.partition = in.U32();
    step.incarnation = in.U64();
    step.group = in.U32();
    if (in.ok() && step.kind != StepKind::kDeleteGroupOffsets && step.group != 0) {
      in.Fail("a group in a step that names none");
    }
  }
}

}  // namespace

void DecodeClientsAndSteps(ByteReader& in, MetadataState& state) {
  DecodeClients(in, state);
  DecodeSteps(in, state);
}

// Sessions belong to existing users and are unique; group members are live sessions;
// ops recorded anywhere are not above the last applied op; step ids fit (rule B9).
absl::Status CheckCrossReferences(const MetadataState& state) {
  std::set<uint64_t> sessions;
  for (const auto& [client, entry] : state.clients) {
    if (!state.users.contains(entry.user_id)) {
      return absl::InvalidArgumentError(absl::StrCat("metadata state: session ", entry.session,
                                                     " of unknown user ", entry.user_id));
    }
    if (entry.session == 0 || entry.session > entry.last_op ||
        entry.last_op > state.last_applied_op || !sessions.insert(entry.session).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("metadata state: session ", entry.session, " (last op ", entry.last_op,
                       ") is 0, duplicated or after the last applied op"));
    }
  }
  for (const auto& [stream_id, stream] : state.streams) {
    for (const auto& [topic_id, topic] : stream.topics) {
      for (const auto& [group_id, group] : topic.groups) {
        for (const auto& [member, partitions] : group.members) {
          if (!sessions.contains(member)) {
            return absl::InvalidArgumentError(absl::StrCat(
                "metadata state: group ", stream_id, "/", topic_id, "/", group_id,
                " has member ", member, ", which is no live session"));
          }
        }
      }
    }
  }
  for (const auto& [id, step] : state.pending_steps) {
    const PartitionKey key{step.stream, step.topic, step.partition};
    if (absl::Status fits = CheckIdsFit(state.config.widths, key); !fits.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("pending step ", id, ": ", fits.message()));
    }
  }
  return absl::OkStatus();
}

}  // namespace sluice::metadata::state_decode_internal
