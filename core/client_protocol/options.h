#pragma once
// Resource options blocks (PROTOCOL.md §3, §5.3, §5.4).
//
// Request form: TLV pairs `[kind:u8][len:u32][bytes]` (key, then value) running to
// the end of the request body, with no prefix; empty = 0 bytes. Checked in two
// passes, as Iggy does:
//   structure  every key of kind 2 (String), 1..255 bytes; every value of a kind
//              1..15, 1..255 bytes, exactly its width for fixed-width kinds; no key
//              twice                                          -> kInvalidCommand
//              more than 100 000 bytes or 1024 pairs          -> kOptionsBlockTooLarge
//   catalog    a key outside the resource's catalog           -> kUnsupportedOptionKey
//              a value of the wrong kind or out of range      -> kInvalidOptionValue
// Streams have no catalog keys (every key is unsupported). Topics: the keys below.
// Response form: `[byte_len:u32][TLV pairs]`.

#include <cstdint>
#include <optional>

#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"

namespace sluice::client_protocol {

inline constexpr size_t kOptionsBytesMax = 100'000;
inline constexpr size_t kOptionsEntriesMax = 1024;

// Value kinds (shared with user headers, PROTOCOL.md §3).
inline constexpr uint8_t kOptionKindString = 2;
inline constexpr uint8_t kOptionKindBool = 3;
inline constexpr uint8_t kOptionKindUint32 = 11;
inline constexpr uint8_t kOptionKindUint64 = 12;

// A topic's options as the client sent them (CreateTopic; UpdateTopic allows only the
// first three). Absent = not sent. The last four are Iggy's persistence knobs: Sluice
// accepts them, so that an SDK setting them works, but they change nothing — every
// append is durable before it is acknowledged (group commit), and segments are not
// preallocated.
struct TopicOptions {
  std::optional<uint8_t> compression_algorithm;       // String "none" -> 1, "gzip" -> 2
  std::optional<uint64_t> message_expiry_us;          // Uint64; 0 = default, u64::MAX = never
  std::optional<uint64_t> max_topic_size_bytes;       // Uint64; 0 = default, u64::MAX = unlimited
  std::optional<uint64_t> segment_size_bytes;         // Uint64; 1 MiB..1 GiB, multiple of 512
  std::optional<bool> enforce_fsync;                  // Bool
  std::optional<uint32_t> messages_required_to_save;  // Uint32
  std::optional<uint64_t> size_of_messages_required_to_save;  // Uint64
  std::optional<bool> preallocate_segments;                   // Bool
  friend bool operator==(const TopicOptions&, const TopicOptions&) = default;
};

enum class OptionsCatalog : uint8_t {
  kStream,       // no keys
  kTopicCreate,  // every TopicOptions key
  kTopicUpdate,  // compression_algorithm, message_expiry, max_topic_size
};

// Checks a request options block (structure, then catalog). For kStream the result is
// always empty options on success (the block must be empty).
absl::StatusOr<TopicOptions> DecodeOptions(ByteSpan block, OptionsCatalog catalog);

// The request block for `options`, keys in the order of TopicOptions' fields.
Bytes EncodeTopicOptions(const TopicOptions& options);

// The stored settings a CreateTopic asks for, 0 where it leaves Iggy's default
// (metadata::CreateTopicBody's convention).
metadata::TopicSettings CreateTopicSettings(const TopicOptions& options);

// The settings a CreateTopic results in once defaults are resolved (0 expiry ->
// never, 0 size -> unlimited, 0 segment -> 1 GiB), as Apply resolves them.
metadata::TopicSettings ResolvedTopicSettings(const TopicOptions& options);

// Iggy's static create-topic bounds, checked before consensus so a doomed request
// burns no op: segment size 1 MiB..1 GiB and a multiple of 512 (kInvalidOptionValue);
// an explicit max_topic_size below the segment size (kInvalidTopicSize).
absl::Status CheckTopicBounds(const TopicOptions& options);

}  // namespace sluice::client_protocol
