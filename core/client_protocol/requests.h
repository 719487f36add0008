#pragma once
// The typed requests a client frame decodes into (PROTOCOL.md §4–6): one struct per
// supported command, a std::variant of them, and the validated header.
//
// A ClientRequest is only made by DecodeClientFrame (client_frame.h), once per frame
// where it enters (rule B13): holding one is proof the header and body were checked,
// so later stages take it instead of bytes. Its fields own their values (names are
// at most 255 bytes), except SendMessagesRequest::batch, a wire::ValidatedBatch that
// views the frame: keep the frame alive and unmoved while using it.
//
// Supported commands: Ping, GetStats, GetClusterMetadata, Register (password or
// token login), Logout, streams (Create/Get/GetAll/Update/Delete/Purge), topics
// (Create/Get/GetAll/Update/Delete/Purge), Create/DeletePartitions, SendMessages,
// PollMessages, Get/Store/DeleteConsumerOffset, consumer groups (Create/Get/GetAll/
// Delete/Join/Leave/Sync). Other known codes are answered kFeatureUnavailable.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/base/bytes.h"
#include "core/client_protocol/command_code.h"
#include "core/client_protocol/options.h"
#include "core/client_protocol/request_header.h"
#include "core/metadata/identifier.h"
#include "core/wire/batch.h"
#include "core/wire/operation.h"

namespace sluice::client_protocol {

using metadata::Identifier;

// --- primitives (PROTOCOL.md §3) ---

// `[kind:u8][Identifier]`: a single consumer or a consumer group.
struct Consumer {
  enum class Kind : uint8_t { kConsumer = 1, kGroup = 2 };
  Kind kind = Kind::kConsumer;
  Identifier id;
  friend bool operator==(const Consumer&, const Consumer&) = default;
};

// `[kind:u8][len:u8][value]`.
struct Partitioning {
  enum class Kind : uint8_t { kBalanced = 1, kPartitionId = 2, kMessagesKey = 3 };
  Kind kind = Kind::kBalanced;
  uint32_t partition_id = 0;  // kPartitionId
  Bytes key;                  // kMessagesKey: 1..255 raw bytes
  friend bool operator==(const Partitioning&, const Partitioning&) = default;
};

// `[kind:u8][value:u64]`.
struct PollingStrategy {
  enum class Kind : uint8_t { kOffset = 1, kTimestamp = 2, kFirst = 3, kLast = 4, kNext = 5 };
  Kind kind = Kind::kOffset;
  uint64_t value = 0;  // offset (kOffset) or µs (kTimestamp); 0 otherwise
  friend bool operator==(const PollingStrategy&, const PollingStrategy&) = default;
};

// The ack byte of consumer-offset writes (§5.6). Sluice acknowledges a write only
// once it is committed whatever the client asks: a weaker ack is still answered
// after commit.
enum class OffsetAck : uint8_t { kNoAck = 0, kQuorum = 1 };

// --- session and system ---

struct PingRequest {
  friend bool operator==(const PingRequest&, const PingRequest&) = default;
};
struct GetStatsRequest {
  friend bool operator==(const GetStatsRequest&, const GetStatsRequest&) = default;
};
struct GetClusterMetadataRequest {
  friend bool operator==(const GetClusterMetadataRequest&,
                         const GetClusterMetadataRequest&) = default;
};

struct PasswordCredentials {
  std::string username;  // 1..255 bytes
  std::string password;  // 0..255 bytes
  friend bool operator==(const PasswordCredentials&, const PasswordCredentials&) = default;
};
struct TokenCredentials {
  std::string token;  // 1..255 bytes
  friend bool operator==(const TokenCredentials&, const TokenCredentials&) = default;
};

// Login (§5.2), code 40 (password) or 45 (personal access token).
struct RegisterRequest {
  uint32_t protocol_version = 0;  // major << 20 | minor << 10 | patch
  std::string sdk_name;
  std::string sdk_version;
  std::variant<PasswordCredentials, TokenCredentials> credentials;
  Bytes context;  // opaque; the Node SDK sends none
  friend bool operator==(const RegisterRequest&, const RegisterRequest&) = default;
};

struct LogoutRequest {
  friend bool operator==(const LogoutRequest&, const LogoutRequest&) = default;
};

// --- streams ---

struct CreateStreamRequest {
  std::string name;  // options: streams have none (any key is kUnsupportedOptionKey)
  friend bool operator==(const CreateStreamRequest&, const CreateStreamRequest&) = default;
};
struct GetStreamRequest {
  Identifier stream;
  friend bool operator==(const GetStreamRequest&, const GetStreamRequest&) = default;
};
struct GetStreamsRequest {
  friend bool operator==(const GetStreamsRequest&, const GetStreamsRequest&) = default;
};
struct UpdateStreamRequest {
  Identifier stream;
  std::string name;
  friend bool operator==(const UpdateStreamRequest&, const UpdateStreamRequest&) = default;
};
struct DeleteStreamRequest {
  Identifier stream;
  friend bool operator==(const DeleteStreamRequest&, const DeleteStreamRequest&) = default;
};
struct PurgeStreamRequest {
  Identifier stream;
  friend bool operator==(const PurgeStreamRequest&, const PurgeStreamRequest&) = default;
};

// --- topics and partitions ---

struct CreateTopicRequest {
  Identifier stream;
  uint32_t partitions_count = 0;  // 0..1000
  std::string name;
  TopicOptions options;
  friend bool operator==(const CreateTopicRequest&, const CreateTopicRequest&) = default;
};
struct GetTopicRequest {
  Identifier stream;
  Identifier topic;
  friend bool operator==(const GetTopicRequest&, const GetTopicRequest&) = default;
};
struct GetTopicsRequest {
  Identifier stream;
  friend bool operator==(const GetTopicsRequest&, const GetTopicsRequest&) = default;
};
struct UpdateTopicRequest {
  Identifier stream;
  Identifier topic;
  std::string name;
  TopicOptions options;  // compression_algorithm, message_expiry_us, max_topic_size_bytes
  friend bool operator==(const UpdateTopicRequest&, const UpdateTopicRequest&) = default;
};
struct DeleteTopicRequest {
  Identifier stream;
  Identifier topic;
  friend bool operator==(const DeleteTopicRequest&, const DeleteTopicRequest&) = default;
};
struct PurgeTopicRequest {
  Identifier stream;
  Identifier topic;
  friend bool operator==(const PurgeTopicRequest&, const PurgeTopicRequest&) = default;
};
struct CreatePartitionsRequest {
  Identifier stream;
  Identifier topic;
  uint32_t count = 0;  // 1..1000
  friend bool operator==(const CreatePartitionsRequest&, const CreatePartitionsRequest&) = default;
};
struct DeletePartitionsRequest {
  Identifier stream;
  Identifier topic;
  uint32_t count = 0;  // 1..1000
  friend bool operator==(const DeletePartitionsRequest&, const DeletePartitionsRequest&) = default;
};

// --- messages (§6) ---

struct SendMessagesRequest {
  Identifier stream;
  Identifier topic;
  Partitioning partitioning;
  // Validated by wire::DecodeBatch (checksums included); its message_count equals the
  // body's messages_count. Views the frame.
  wire::ValidatedBatch batch;
  friend bool operator==(const SendMessagesRequest& a, const SendMessagesRequest& b);
};

struct PollMessagesRequest {
  Consumer consumer;
  Identifier stream;
  Identifier topic;
  std::optional<uint32_t> partition;
  PollingStrategy strategy;
  uint32_t count = 0;
  bool auto_commit = false;
  friend bool operator==(const PollMessagesRequest&, const PollMessagesRequest&) = default;
};

// --- consumer offsets (§5.6) ---

struct GetConsumerOffsetRequest {
  Consumer consumer;
  Identifier stream;
  Identifier topic;
  std::optional<uint32_t> partition;
  friend bool operator==(const GetConsumerOffsetRequest&,
                         const GetConsumerOffsetRequest&) = default;
};
struct StoreConsumerOffsetRequest {
  Consumer consumer;
  Identifier stream;
  Identifier topic;
  std::optional<uint32_t> partition;
  uint64_t offset = 0;
  OffsetAck ack = OffsetAck::kQuorum;
  friend bool operator==(const StoreConsumerOffsetRequest&,
                         const StoreConsumerOffsetRequest&) = default;
};
struct DeleteConsumerOffsetRequest {
  Consumer consumer;
  Identifier stream;
  Identifier topic;
  std::optional<uint32_t> partition;
  OffsetAck ack = OffsetAck::kQuorum;
  friend bool operator==(const DeleteConsumerOffsetRequest&,
                         const DeleteConsumerOffsetRequest&) = default;
};

// --- consumer groups (§5.7) ---

struct CreateConsumerGroupRequest {
  Identifier stream;
  Identifier topic;
  std::string name;
  friend bool operator==(const CreateConsumerGroupRequest&,
                         const CreateConsumerGroupRequest&) = default;
};
struct GetConsumerGroupsRequest {
  Identifier stream;
  Identifier topic;
  friend bool operator==(const GetConsumerGroupsRequest&,
                         const GetConsumerGroupsRequest&) = default;
};
// Get, Delete, Join, Leave and Sync share the body `[stream Id][topic Id][group Id]`.
struct GroupRequestBody {
  Identifier stream;
  Identifier topic;
  Identifier group;
  friend bool operator==(const GroupRequestBody&, const GroupRequestBody&) = default;
};
struct GetConsumerGroupRequest : GroupRequestBody {};
struct DeleteConsumerGroupRequest : GroupRequestBody {};
struct JoinConsumerGroupRequest : GroupRequestBody {};
struct LeaveConsumerGroupRequest : GroupRequestBody {};
// SyncConsumerGroup (606, NonReplicated): the calling member's assignment.
struct SyncConsumerGroupRequest : GroupRequestBody {};

using Command = std::variant<
    PingRequest, GetStatsRequest, GetClusterMetadataRequest, RegisterRequest, LogoutRequest,
    CreateStreamRequest, GetStreamRequest, GetStreamsRequest, UpdateStreamRequest,
    DeleteStreamRequest, PurgeStreamRequest, CreateTopicRequest, GetTopicRequest, GetTopicsRequest,
    UpdateTopicRequest, DeleteTopicRequest, PurgeTopicRequest, CreatePartitionsRequest,
    DeletePartitionsRequest, SendMessagesRequest, PollMessagesRequest, GetConsumerOffsetRequest,
    StoreConsumerOffsetRequest, DeleteConsumerOffsetRequest, CreateConsumerGroupRequest,
    GetConsumerGroupRequest, GetConsumerGroupsRequest, DeleteConsumerGroupRequest,
    JoinConsumerGroupRequest, LeaveConsumerGroupRequest, SyncConsumerGroupRequest>;

// The classic code of a command (Register: 40 for a password, 45 for a token).
CommandCode CodeOf(const Command& command);
// The header operation it travels under (§4).
wire::Operation OperationOf(const Command& command);

struct ClientRequest {
  RequestHeader header;
  CommandCode code = CommandCode::kPing;
  Command command;
};

}  // namespace sluice::client_protocol
