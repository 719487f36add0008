#pragma once
// The metadata write-ahead log's file layout: `metadata/journal.wal` under the
// storage root (FORMATS.md §4), a fixed-size ring of slots after TigerBeetle's WAL.
//
//   offset                         size                          zone
//   0                              headers_zone_bytes            headers: slot_count copies of
//                                                                the 256-byte prepare header,
//                                                                slot s at s * 256, then zero
//                                                                padding to a 4 KiB boundary
//   headers_zone_bytes             slot_count * message_size_max prepares: slot s at
//                                                                headers_zone_bytes +
//                                                                s * message_size_max holds
//                                                                the whole prepare (header +
//                                                                body), zero after it
//
// Op `op` lives in slot `op % slot_count`, in both zones. The header copy in the
// headers zone is redundant: it is the first 256 bytes of the prepare, written with
// it. Because a header's checksum covers `checksum_body`, a valid header copy alone
// names exactly one prepare — so recovery can tell a torn prepare whose header
// landed (evidence of a write) from a slot never written, and can keep verifying the
// hash chain past a prepare whose body was lost.
//
// Every entry is a prepare of the metadata group: namespace 0, incarnation 0. The
// file is created at its full size by FormatJournal and never grows or shrinks;
// a file of another size was formatted with other options (or truncated behind the
// server's back) and is refused.

#include <cstdint>
#include <string>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace sluice::journal {

inline constexpr absl::string_view kJournalDirectory = "metadata";
inline constexpr absl::string_view kJournalPath = "metadata/journal.wal";

// The headers zone is padded to this boundary so prepares start sector-aligned.
inline constexpr uint64_t kZoneAlignmentBytes = 4096;
// message_size_max must be a multiple of this (a disk sector), so no two prepare
// slots share a sector and a torn sector write can only tear one prepare.
inline constexpr uint64_t kSlotAlignmentBytes = 512;
inline constexpr uint64_t kSlotCountMax = uint64_t{1} << 20;
inline constexpr uint64_t kMessageSizeMaxLimit = uint64_t{1} << 30;

struct JournalOptions {
  absl::uint128 cluster = 0;
  uint64_t slot_count = 1024;
  uint64_t message_size_max = 64 * 1024;  // one prepare, header + body
};

// InvalidArgument naming the option unless: 2 <= slot_count <= kSlotCountMax, and
// message_size_max is a multiple of kSlotAlignmentBytes in [512, kMessageSizeMaxLimit].
absl::Status ValidateJournalOptions(const JournalOptions& options);

// Offsets of the zones and slots, for validated options.
class JournalLayout {
 public:
  explicit JournalLayout(const JournalOptions& options);

  uint64_t slot_count() const { return slot_count_; }
  uint64_t message_size_max() const { return message_size_max_; }
  uint64_t headers_zone_bytes() const { return headers_zone_bytes_; }
  uint64_t file_size_bytes() const { return headers_zone_bytes_ + slot_count_ * message_size_max_; }

  uint64_t SlotOf(uint64_t op) const { return op % slot_count_; }
  uint64_t HeaderOffset(uint64_t slot) const;
  uint64_t PrepareOffset(uint64_t slot) const;

  // "slot 3 (header at offset 768, prepare at offset 12288)", for messages.
  std::string DescribeSlot(uint64_t slot) const;

 private:
  uint64_t slot_count_;
  uint64_t message_size_max_;
  uint64_t headers_zone_bytes_;
};

// "0x" + 32 hex digits, for checksums in messages.
std::string Hex128(absl::uint128 value);

}  // namespace sluice::journal
