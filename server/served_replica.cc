#include "server/served_replica.h"

#include <cstdio>

#include "core/base/checksum.h"
#include "core/base/status_macros.h"
#include "core/metadata/body_codec.h"

namespace sluice::server {

absl::StatusOr<Bytes> RootUserBody(const std::string& name, const std::string& password, ByteSpan salt,
                                   const metadata::Argon2Cost& cost) {
  ASSIGN_OR_RETURN(Bytes hash, metadata::HashPassword(salt, password, cost));
  return metadata::Encode(metadata::CreateUserBody{
      .name = name, .password = {.salt = Bytes(salt.begin(), salt.end()), .hash = std::move(hash)}});
}

std::optional<ServedReplica::FirstCopy> ClusterServed::FirstCopyOf(uint32_t stream, uint32_t topic, ByteSpan body,
                                                                   absl::uint128 client) {
  // The lookup ClusterReplica::SubmitPartition makes, keyed the same way. A topic
  // still repairing its head answers nothing here: the submission is refused then.
  const absl::StatusOr<std::optional<replica::ClusterReplica::ClientWrite>> found =
      replica_.FindClientWrite(stream, topic, client, base::Checksum128(body));
  if (!found.ok() || !found->has_value()) return std::nullopt;
  return FirstCopy{.partition = (*found)->partition, .base_offset = (*found)->base_offset};
}

ReplicaRole ClusterServed::Role() const {
  vsr::Replica& consensus = replica_.consensus();
  const uint32_t view = consensus.view();
  const uint8_t count = count_;
  return {.self = consensus.index(),
          .count = count,
          .view = view,
          .primary = static_cast<uint8_t>(view % count),
          .normal = consensus.status() == vsr::Status::kNormal,
          .failed = replica_.failed()};
}

void ClusterServed::Tick() {
  if (*root_in_flight_ || !replica_.metadata().users.empty()) return;
  const ReplicaRole role = Role();
  if (!role.is_primary() || !role.normal || role.failed) return;
  const absl::Status status = replica_.SubmitMetadata(
      {.operation = wire::Operation::kCreateUser, .body = root_user_body_},
      [in_flight = root_in_flight_](absl::StatusOr<metadata_store::CommittedResult> committed) {
        *in_flight = false;  // applied (or replaced in a view change: the next primary tries)
        if (!committed.ok()) {
          std::fprintf(stderr, "creating the root user: %s\n", committed.status().ToString().c_str());
        }
      });
  if (status.ok()) {
    *root_in_flight_ = true;
  } else if (!root_refusal_logged_) {
    root_refusal_logged_ = true;  // retried every tick; said once
    std::fprintf(stderr, "creating the root user (retrying): %s\n", status.ToString().c_str());
  }
}

}  // namespace sluice::server
