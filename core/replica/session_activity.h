#pragma once
// Client activity for the expiry of idle sessions (DESIGN.md "Time-driven
// decisions"; issue #6): which clients were heard from, and when, as the primary
// knows it. The decision to expire is the primary's, from its own monotonic clock
// (session_expiry_driver.h); this file holds what it decides from.
//
// Where activity comes from:
//  - requests the primary executes (metadata and partition writes, direct or relayed
//    by a backup), and whatever the server notes (ClusterReplica::NoteClientActivity:
//    pings and polls answered here);
//  - clients served by a backup (pings and polls answered locally never reach the
//    primary): the backup collects their ids and reports them to the primary of its
//    view every report interval, in session_activity frames (below). The primary
//    stamps a reported client with its own clock on receipt: no clock is compared
//    across replicas, and a report from another view is dropped (it may be stale).
//
// Grace: the table belongs to one view of one primary. When a replica starts a view
// as primary (or boots) it knows nothing of the clients' past, so every session it
// sees first is taken as seen now: a view change postpones expiries by up to one
// timeout, and never expires a live session.
//
// Frame (command session_activity, 37): the 256-byte consensus header's common
// prefix (wire/header.h: checksums, cluster, size, view = the sender's view, replica
// = the sender), then from offset 128: count u32, bytes 132..256 zero; the body is
// `count` client ids (u128), strictly increasing and non-zero, 1 <= count <=
// kActivityClientsPerFrameMax. Checked as a whole (rule B13) by DecodeActivityReport.
//
// Bounds: both the primary's table and a backup's pending set hold at most
// `clients_max` clients (the client table's own bound); beyond it new ids are
// dropped (a client the table cannot hold has no session to keep alive anyway).
// Not thread-safe; deterministic (ordered containers only).

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/statusor.h"
#include "core/base/bytes.h"
#include "core/metadata/metadata_state.h"

namespace sluice::replica {

inline constexpr size_t kActivityClientsPerFrameMax = 4096;  // 64 KiB of body

struct ActivityReport {
  uint32_t view = 0;
  uint8_t replica = 0;
  std::vector<absl::uint128> clients;  // strictly increasing, non-zero
};

// One frame; requires 1 <= clients.size() <= kActivityClientsPerFrameMax, sorted,
// non-zero ids.
Bytes EncodeActivityReport(absl::uint128 cluster, const ActivityReport& report);
// The checks above, in order: prefix (checksums, size, cluster, command, reserved
// 62..128), zero bytes 132..256, count in range and equal to the body's, ids
// non-zero and strictly increasing. DataLoss / InvalidArgument naming the field.
absl::StatusOr<ActivityReport> DecodeActivityReport(ByteSpan frame, absl::uint128 cluster);

class SessionActivity {
 public:
  explicit SessionActivity(size_t clients_max) : clients_max_(clients_max) {}

  // Primary of `view`: `client` was heard from at `now_ticks`. A table of an earlier
  // view is dropped first (grace, above).
  void Seen(absl::uint128 client, uint32_t view, uint64_t now_ticks);
  // Backup: `client` was heard from here; reported with the next report.
  void NoteForReport(absl::uint128 client);
  // Up to `limit` pending ids (the smallest), removed from the pending set.
  std::vector<absl::uint128> TakeReport(size_t limit);
  // Puts ids back that could not be sent (the set stays bounded).
  void ReturnReport(const std::vector<absl::uint128>& clients);
  bool report_pending() const { return !pending_.empty(); }

  // Primary of `view` at `now_ticks`: the registered sessions of `state` idle
  // longer than their timeout — `idle_timeout_ticks` for any session, or
  // `member_timeout_ticks` if shorter for a session holding a consumer-group
  // membership (0 disables either) — at most `limit`, by client id. Sessions seen
  // for the first time are taken as seen now; clients no longer registered are
  // forgotten.
  std::vector<absl::uint128> IdleSessions(const metadata::MetadataState& state, uint32_t view, uint64_t now_ticks,
                                          uint64_t idle_timeout_ticks, uint64_t member_timeout_ticks, size_t limit);

  // When the primary last heard from `client` (tests); 0 if it does not know.
  uint64_t last_seen_ticks(absl::uint128 client) const;

 private:
  void StartView(uint32_t view);

  const size_t clients_max_;
  bool has_view_ = false;
  uint32_t view_ = 0;
  std::map<absl::uint128, uint64_t> last_seen_ticks_;  // primary
  std::set<absl::uint128> pending_;                     // backup
};

// The session numbers that hold a consumer-group membership in `state`.
std::set<uint64_t> GroupMembers(const metadata::MetadataState& state);

}  // namespace sluice::replica
