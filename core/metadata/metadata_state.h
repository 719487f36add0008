#pragma once
// MetadataState: everything the metadata consensus group replicates (DESIGN.md
// "Replication model"): streams → topics → partitions and consumer groups, users and
// their personal access tokens, the client table (sessions, last request, cached
// result), and the pending per-partition steps of cross-group operations.
//
// Contracts:
//  - Only Apply (apply.h) changes a state, and it reads nothing but the op's bytes and
//    the state, so every replica that applies the same committed ops holds an equal
//    state (operator==) and encodes the same snapshot bytes (snapshot_codec.h).
//  - Every container is ordered (std::map / std::vector): iteration order is part of
//    behaviour and of the snapshot, and must never come from a hash.
//  - Secrets never live here: a user's password appears only as the salted hash the
//    primary computed, a token only as its hash (DESIGN.md "Deterministic apply").
//  - Ids: stream ids, topic ids (per stream) and user ids take the lowest free slot;
//    partition ids are dense 0..n-1 (the vector index); consumer-group ids per topic
//    start at 0 and are never reused (PROTOCOL.md §7). Stream, topic and partition ids
//    always fit the namespace widths in `config` (rule B9, namespace_packing.h).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "core/base/bytes.h"
#include "core/metadata/error_code.h"
#include "core/superblock/superblock_state.h"

namespace sluice::metadata {

using superblock::NamespaceWidths;

inline constexpr uint64_t kNever = UINT64_MAX;      // message expiry: never
inline constexpr uint64_t kUnlimited = UINT64_MAX;  // max topic size: unlimited
inline constexpr uint8_t kCompressionNone = 1;
inline constexpr uint8_t kCompressionGzip = 2;
inline constexpr uint64_t kSegmentSizeDefault = uint64_t{1} << 30;  // 1 GiB (Iggy)
inline constexpr uint64_t kSegmentSizeMin = uint64_t{1} << 20;      // 1 MiB (Iggy)

// Bounds that keep the state (and so the snapshot) bounded. They are part of the
// replicated behaviour: changing one changes which ops fail, so they are constants,
// not local configuration.
inline constexpr uint32_t kPartitionsPerRequestMax = 1000;  // Iggy: more is error 2015
inline constexpr uint32_t kUsersMax = 4096;
inline constexpr uint32_t kTokensPerUserMax = 100;
inline constexpr size_t kUsernameLengthMin = 3;   // Iggy's username bounds (error 43)
inline constexpr size_t kUsernameLengthMax = 50;
inline constexpr size_t kSecretHashBytesMax = 64;  // a salt, a password hash, a token hash
inline constexpr size_t kPermissionsBytesMax = 64 * 1024;
inline constexpr size_t kNameBytesMax = 255;

// Fixed at format time, like the namespace widths it carries; stored in the snapshot.
struct MetadataConfig {
  NamespaceWidths widths;
  uint32_t clients_max = 1024;  // client table capacity (sessions)
  friend bool operator==(const MetadataConfig&, const MetadataConfig&) = default;
};

struct TopicSettings {
  uint8_t compression_algorithm = kCompressionNone;  // 1 none, 2 gzip
  uint64_t message_expiry_us = kNever;
  uint64_t max_topic_size_bytes = kUnlimited;
  // Replicated so every replica rolls its segments at the same op (DESIGN.md).
  uint64_t segment_size_bytes = kSegmentSizeDefault;
  friend bool operator==(const TopicSettings&, const TopicSettings&) = default;
};

struct Partition {
  // The op of the metadata operation that created this partition: part of the
  // partition group's identity, so a reused id never inherits old data.
  uint64_t incarnation = 0;
  uint64_t created_at_us = 0;
  friend bool operator==(const Partition&, const Partition&) = default;
};

struct ConsumerGroup {
  std::string name;
  // Bumped at every rebalance (membership or partition count changed).
  uint64_t generation = 0;
  // Member id (the session number of the member's client) -> assigned partition ids,
  // ascending. Assignment: partition p goes to the (p mod m)-th member by id.
  std::map<uint64_t, std::vector<uint32_t>> members;
  friend bool operator==(const ConsumerGroup&, const ConsumerGroup&) = default;
};

struct Topic {
  std::string name;
  uint64_t created_at_us = 0;
  TopicSettings settings;
  std::vector<Partition> partitions;  // index = partition id
  std::map<uint32_t, ConsumerGroup> groups;
  uint32_t next_group_id = 0;  // group ids are never reused
  friend bool operator==(const Topic&, const Topic&) = default;
};

struct Stream {
  std::string name;
  uint64_t created_at_us = 0;
  std::map<uint32_t, Topic> topics;
  friend bool operator==(const Stream&, const Stream&) = default;
};

enum class UserStatus : uint8_t { kActive = 1, kInactive = 2 };

// The primary salts and hashes a password before preparing (the KDF is its choice);
// the state keeps both so the primary can hash a login attempt the same way.
struct PasswordCredential {
  Bytes salt;
  Bytes hash;
  friend bool operator==(const PasswordCredential&, const PasswordCredential&) = default;
};

struct PersonalAccessToken {
  Bytes token_hash;           // hash of the secret the client holds
  uint64_t expiry_at_us = 0;  // 0 = never expires
  friend bool operator==(const PersonalAccessToken&, const PersonalAccessToken&) = default;
};

struct User {
  std::string name;
  uint64_t created_at_us = 0;
  UserStatus status = UserStatus::kActive;
  PasswordCredential password;
  // Iggy's permissions encoding (PROTOCOL.md §3), kept opaque; nullopt = none set.
  std::optional<Bytes> permissions;
  std::map<std::string, PersonalAccessToken> tokens;  // by token name
  friend bool operator==(const User&, const User&) = default;
};

inline constexpr uint32_t kRootUserId = 0;

// What Apply returns, and what the client table caches per client.
struct ApplyResult {
  ErrorCode error = ErrorCode::kOk;
  // On success, per operation (apply.h); empty on error.
  Bytes payload;
  bool ok() const { return error == ErrorCode::kOk; }
  friend bool operator==(const ApplyResult&, const ApplyResult&) = default;
};

// One client table entry: a session and the de-duplication state of its client.
struct ClientEntry {
  uint64_t session = 0;  // the op of the Register that opened it (unique, > 0)
  uint32_t user_id = 0;
  uint64_t registered_at_us = 0;
  uint64_t last_request = 0;  // highest request number applied for this client
  uint64_t last_op = 0;       // op of that request: the table evicts the oldest
  ApplyResult last_result;    // its result, resent for a duplicate request
  friend bool operator==(const ClientEntry&, const ClientEntry&) = default;
};

// A per-partition step of a cross-group operation, driven by the primary through
// the partition's group and marked done by a later metadata op.
enum class StepKind : uint8_t {
  kDeletePartition = 1,     // remove the partition group and its directory
  kPurgePartition = 2,      // empty the partition (offsets restart at 0)
  kDeleteGroupOffsets = 3,  // drop a deleted consumer group's offsets
};

struct PendingStep {
  StepKind kind = StepKind::kDeletePartition;
  uint32_t stream = 0;
  uint32_t topic = 0;
  uint32_t partition = 0;
  uint64_t incarnation = 0;  // names the exact partition group (ids are reused)
  uint32_t group = 0;        // kDeleteGroupOffsets only; 0 otherwise
  friend bool operator==(const PendingStep&, const PendingStep&) = default;
};

struct MetadataState {
  MetadataConfig config;
  uint64_t last_applied_op = 0;
  std::map<uint32_t, Stream> streams;
  std::map<uint32_t, User> users;
  std::map<absl::uint128, ClientEntry> clients;  // by VSR client id
  std::map<uint64_t, PendingStep> pending_steps;  // by step id, in creation order
  uint64_t next_step_id = 1;
  friend bool operator==(const MetadataState&, const MetadataState&) = default;
};

// OK if the widths keep rule B9 and the client table holds at least one client;
// InvalidArgument naming the field otherwise.
absl::Status ValidateConfig(const MetadataConfig& config);

// An empty state for `config`, which must be valid (asserted): no root user yet, the
// first op creates it.
MetadataState NewMetadataState(const MetadataConfig& config);

// One past the largest id a width of `bits` can hold, capped at 2^32 (ids are u32).
uint64_t IdLimit(uint8_t bits);

}  // namespace sluice::metadata
