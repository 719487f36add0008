#include "core/replica/session_activity.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/base/assert.h"
#include "core/base/status_macros.h"
#include "core/wire/header.h"

namespace sluice::replica {
namespace {

namespace offset = wire::header_offset;
constexpr size_t kCount = 128;
constexpr size_t kFieldsEnd = 132;
constexpr size_t kClientBytes = 16;

}  // namespace

Bytes EncodeActivityReport(absl::uint128 cluster, const ActivityReport& report) {
  SLUICE_ASSERT(!report.clients.empty() && report.clients.size() <= kActivityClientsPerFrameMax,
                "an activity report of ", report.clients.size(), " clients");
  Bytes frame(wire::kHeaderSize + report.clients.size() * kClientBytes, 0);
  base::StoreU128(frame, offset::kCluster, cluster);
  base::StoreLittleEndian<uint32_t>(frame, offset::kSize, static_cast<uint32_t>(frame.size()));
  base::StoreLittleEndian<uint32_t>(frame, offset::kView, report.view);
  frame[offset::kCommand] = static_cast<uint8_t>(wire::Command::kSessionActivity);
  frame[offset::kReplica] = report.replica;
  base::StoreLittleEndian<uint32_t>(frame, kCount, static_cast<uint32_t>(report.clients.size()));
  absl::uint128 previous = 0;
  for (size_t i = 0; i < report.clients.size(); ++i) {
    SLUICE_ASSERT(report.clients[i] > previous, "activity report ids must be non-zero and increasing");
    previous = report.clients[i];
    base::StoreU128(frame, wire::kHeaderSize + i * kClientBytes, report.clients[i]);
  }
  wire::SealHeader(MutableByteSpan(frame).first(wire::kHeaderSize), ByteSpan(frame).subspan(wire::kHeaderSize));
  return frame;
}

absl::StatusOr<ActivityReport> DecodeActivityReport(ByteSpan frame, absl::uint128 cluster) {
  RETURN_IF_ERROR(wire::CheckFramePrefix(frame, cluster, wire::Command::kSessionActivity));
  for (size_t i = kFieldsEnd; i < wire::kHeaderSize; ++i) {
    if (frame[i] != 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("session_activity header byte ", i, " must be zero (bytes 132..256 are reserved)"));
    }
  }
  const uint32_t count = base::LoadLittleEndian<uint32_t>(frame, kCount);
  if (count == 0 || count > kActivityClientsPerFrameMax) {
    return absl::InvalidArgumentError(absl::StrCat("session_activity count ", count, " outside 1..",
                                                   kActivityClientsPerFrameMax));
  }
  if (frame.size() - wire::kHeaderSize != size_t{count} * kClientBytes) {
    return absl::InvalidArgumentError(absl::StrCat("session_activity body of ", frame.size() - wire::kHeaderSize,
                                                   " bytes for ", count, " clients"));
  }
  ActivityReport report{.view = base::LoadLittleEndian<uint32_t>(frame, offset::kView),
                        .replica = frame[offset::kReplica]};
  report.clients.reserve(count);
  absl::uint128 previous = 0;
  for (uint32_t i = 0; i < count; ++i) {
    const absl::uint128 client = base::LoadU128(frame, wire::kHeaderSize + size_t{i} * kClientBytes);
    if (client <= previous) {
      return absl::InvalidArgumentError(
          absl::StrCat("session_activity client ", i, " is zero or not above the previous one"));
    }
    previous = client;
    report.clients.push_back(client);
  }
  return report;
}

void SessionActivity::StartView(uint32_t view) {
  if (has_view_ && view_ == view) return;
  // A new view (or the first): nothing of an earlier table holds (grace, header).
  has_view_ = true;
  view_ = view;
  last_seen_ticks_.clear();
}

void SessionActivity::Seen(absl::uint128 client, uint32_t view, uint64_t now_ticks) {
  if (client == 0) return;
  StartView(view);
  const auto [entry, inserted] = last_seen_ticks_.try_emplace(client, now_ticks);
  if (!inserted) {
    entry->second = std::max(entry->second, now_ticks);
  } else if (last_seen_ticks_.size() > clients_max_) {
    last_seen_ticks_.erase(entry);  // bounded: see the header
  }
}

void SessionActivity::NoteForReport(absl::uint128 client) {
  if (client == 0 || pending_.size() >= clients_max_) return;
  pending_.insert(client);
}

std::vector<absl::uint128> SessionActivity::TakeReport(size_t limit) {
  std::vector<absl::uint128> clients;
  while (!pending_.empty() && clients.size() < limit) {
    clients.push_back(*pending_.begin());
    pending_.erase(pending_.begin());
  }
  return clients;
}

void SessionActivity::ReturnReport(const std::vector<absl::uint128>& clients) {
  for (const absl::uint128 client : clients) NoteForReport(client);
}

std::vector<absl::uint128> SessionActivity::IdleSessions(const metadata::MetadataState& state, uint32_t view,
                                                         uint64_t now_ticks, uint64_t idle_timeout_ticks,
                                                         uint64_t member_timeout_ticks, size_t limit) {
  StartView(view);
  // Forget clients no longer registered (expired, logged out, or never: a Register
  // that did not commit); first-seen sessions start their grace now.
  std::erase_if(last_seen_ticks_, [&state](const auto& entry) { return !state.clients.contains(entry.first); });
  const std::set<uint64_t> members = GroupMembers(state);
  std::vector<absl::uint128> idle;
  for (const auto& [client, entry] : state.clients) {
    const auto [seen, inserted] = last_seen_ticks_.try_emplace(client, now_ticks);
    if (inserted) continue;
    uint64_t timeout = idle_timeout_ticks;
    if (members.contains(entry.session) && member_timeout_ticks != 0 &&
        (timeout == 0 || member_timeout_ticks < timeout)) {
      timeout = member_timeout_ticks;
    }
    if (timeout == 0 || now_ticks - seen->second <= timeout) continue;
    if (idle.size() < limit) idle.push_back(client);
  }
  SLUICE_ASSERT(last_seen_ticks_.size() <= state.clients.size(), "the activity table outgrew the client table");
  return idle;
}

uint64_t SessionActivity::last_seen_ticks(absl::uint128 client) const {
  const auto found = last_seen_ticks_.find(client);
  return found == last_seen_ticks_.end() ? 0 : found->second;
}

std::set<uint64_t> GroupMembers(const metadata::MetadataState& state) {
  std::set<uint64_t> members;
  for (const auto& [stream_id, stream] : state.streams) {
    for (const auto& [topic_id, topic] : stream.topics) {
      for (const auto& [group_id, group] : topic.groups) {
        for (const auto& [member, partitions] : group.members) members.insert(member);
      }
    }
  }
  return members;
}

}  // namespace sluice::replica
