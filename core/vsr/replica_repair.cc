// Replica: canonical knowledge, verification of the local log against it,
// truncation of what does not link, and repair from peers (request_headers,
// request_prepare, headers).
#include <algorithm>
#include <utility>

#include "core/base/assert.h"
#include "core/base/bytes.h"
#include "core/vsr/replica.h"
#include "core/vsr/replica_internal.h"
#include "core/wire/header.h"

namespace sluice::vsr {

void Replica::ResetCanonical(Group& group, uint64_t head_op, absl::uint128 head_checksum) {
  group.canonical.clear();
  group.buffered.clear();
  group.acks.clear();
  group.pipeline.clear();
  // Only committed ops are canonical in every view; the rest is verified again.
  group.verified_op = group.commit;
  group.head_op = head_op;
  group.head_checksum = head_checksum;
  if (head_op > group.verified_op) group.canonical[head_op] = head_checksum;
}

std::optional<absl::uint128> Replica::Canonical(const Group& group, uint64_t op) const {
  if (op <= group.verified_op) return group.log->ChecksumAt(op);
  const auto it = group.canonical.find(op);
  if (it == group.canonical.end()) return std::nullopt;
  return it->second;
}

void Replica::Learn(Group& group, uint64_t op, absl::uint128 checksum,
                    std::optional<absl::uint128> parent) {
  auto learn_one = [&](uint64_t at, absl::uint128 value) {
    if (at < group.log->base_op()) return;
    if (at <= group.verified_op) {
      const std::optional<absl::uint128> local = group.log->ChecksumAt(at);
      SLUICE_ASSERT(!local.has_value() || *local == value, "replica ", int{options_.replica_index},
                    " namespace ", group.id.namespace_id, " op ", at,
                    ": its verified entry differs from the canonical one (hash-chain divergence)");
      return;
    }
    const auto [it, inserted] = group.canonical.try_emplace(at, value);
    SLUICE_ASSERT(it->second == value, "replica ", int{options_.replica_index}, " namespace ",
                  group.id.namespace_id, " op ", at, ": two canonical checksums in view ", view_);
    if (at > group.head_op) {
      group.head_op = at;
      group.head_checksum = value;
    }
  };
  learn_one(op, checksum);
  if (parent.has_value() && op > 0) learn_one(op - 1, *parent);
}

void Replica::Advance(Group& group) {
  if (failed() || status_ != Status::kNormal || group.truncating) return;
  // A group joining the current log view has no canonical log in it to compare with
  // yet (AwaitJoin): nothing is verified or truncated until it joins.
  if (group.joining && group.log_view < log_view_) return;
  if (group.sync.has_value() && group.sync->installing) return;  // the log's base is changing
  GroupLog& log = *group.log;
  for (;;) {
    // The highest local op matching a canonical checksum: the chain below it matches too.
    const uint64_t top = std::min(log.last_op(), group.head_op);
    if (top > group.verified_op) {
      auto it = group.canonical.upper_bound(top);
      while (it != group.canonical.begin()) {
        --it;
        if (it->first <= group.verified_op) break;
        if (log.ChecksumAt(it->first) == std::optional<absl::uint128>(it->second)) {
          group.verified_op = it->first;
          break;
        }
      }
      group.canonical.erase(group.canonical.begin(), group.canonical.upper_bound(group.verified_op));
    }
    if (group.drop_faulty_above_head && log.last_op() <= group.head_op) {
      if (log.faulty_head_op() > group.head_op) {
        Truncate(group, log.last_op());  // only faulty entries lie above last_op
        break;
      }
      group.drop_faulty_above_head = false;
    }
    if (log.last_op() > group.verified_op) {
      // Local ops above the verified prefix: stale if the next one is known not to link.
      const auto next = group.canonical.find(group.verified_op + 1);
      const bool stale = group.verified_op >= group.head_op ||
                         (next != group.canonical.end() &&
                          log.ChecksumAt(group.verified_op + 1) != std::optional<absl::uint128>(next->second));
      if (stale) Truncate(group, group.verified_op);
      break;  // otherwise headers will tell (RequestRepair)
    }
    if (group.verified_op >= group.head_op) break;
    const uint64_t op = group.verified_op + 1;
    const auto buffered = group.buffered.find(op);
    const auto canonical = group.canonical.find(op);
    if (buffered == group.buffered.end() || canonical == group.canonical.end()) break;
    if (wire::PrepareChecksum(buffered->second) != canonical->second) {
      group.buffered.erase(buffered);
      break;
    }
    const Bytes frame = std::move(buffered->second);
    group.buffered.erase(buffered);
    const GroupId id = group.id;
    const uint64_t serial = group.serial;
    const uint64_t epoch = group.epoch;
    std::weak_ptr<int> alive = alive_;
    const absl::Status status = log.Append(frame, [this, alive, id, serial, epoch, op](absl::Status status) {
      if (alive.lock() != nullptr) OnDurable(id, serial, epoch, op, status);
    });
    if (!status.ok()) {
      // Not the next link would be a bug here (it was checked); anything else is the
      // log refusing (e.g. rule B8 waiting for a checkpoint): try again later.
      SLUICE_ASSERT(status.code() != absl::StatusCode::kInvalidArgument, status.ToString());
      break;
    }
    group.verified_op = op;
    group.canonical.erase(op);
  }
  group.buffered.erase(group.buffered.begin(), group.buffered.upper_bound(log.last_op()));
  CommitProgress(group);
}

void Replica::Truncate(Group& group, uint64_t op) {
  SLUICE_ASSERT(op >= group.commit, "replica ", int{options_.replica_index}, " namespace ",
                group.id.namespace_id, ": truncation after op ", op, " below commit ", group.commit);
  group.truncating = true;
  ++group.epoch;
  ++counters_.truncations;
  const GroupId id = group.id;
  const uint64_t serial = group.serial;
  std::weak_ptr<int> alive = alive_;
  group.log->TruncateAfter(op, group.commit, [this, alive, id, serial](absl::Status status) {
    if (alive.lock() == nullptr) return;
    Group* group = FindLive(id, serial);
    if (group == nullptr) return;  // removed meanwhile
    group->truncating = false;
    if (!status.ok()) return FailStop(status);
    Advance(*group);
  });
}

uint8_t Replica::RepairPeer(uint64_t op) const {
  // Spread by op and move on every repair round, so that a request the same peer
  // cannot answer is asked of another one next round (a fixed per-request rotation
  // can alias with the number of requests per round and ask one peer forever).
  const uint64_t others = options_.replica_count - 1;
  const uint64_t step = 1 + ((repair_rotor_ + op) % others);
  return static_cast<uint8_t>((options_.replica_index + step) % options_.replica_count);
}

void Replica::RequestRepair(Group& group) {
  if (failed() || status_ != Status::kNormal || options_.replica_count == 1) return;
  if (group.joining && group.log_view < log_view_) return;  // it asks to join first (OnTick)
  // A syncing group asks for its snapshot instead: what it lacks is below the peers' logs.
  if (group.sync.has_value()) return SyncRound(group);
  if (group.truncating) return;
  const uint64_t last = group.log->last_op();
  if (group.verified_op >= group.head_op && last <= group.verified_op) return;
  LearnFromRecoveredHeaders(group);
  if (last > group.verified_op || !group.canonical.contains(group.verified_op + 1)) {
    // Walk down from the head while checksums are known: `floor` is the lowest op
    // whose checksum is known; its header names the checksum of the op below.
    uint64_t floor = group.head_op;
    auto it = group.canonical.find(floor);
    while (it != group.canonical.begin() && floor - 1 > group.verified_op) {
      --it;
      if (it->first != floor - 1) break;
      floor = it->first;
    }
    if (floor <= group.verified_op + 1) return;  // Advance decides (truncation)
    const uint64_t low = std::max(group.verified_op + 1,
                                  floor + 1 > options_.repair_headers_max ? floor + 1 - options_.repair_headers_max : 0);
    ++counters_.repair_requests;
    Send(RepairPeer(floor), EncodeRequestHeaders(options_.cluster, RequestHeaders{.from = From(),
                                                                                 .group = group.id,
                                                                                 .op_min = low,
                                                                                 .op_max = floor}));
    return;
  }
  uint64_t asked = 0;
  for (uint64_t op = group.verified_op + 1; op <= group.head_op && asked < options_.repair_prepares_max;
       ++op) {
    const auto canonical = group.canonical.find(op);
    if (canonical == group.canonical.end()) break;
    if (group.buffered.contains(op)) continue;
    ++asked;
    ++counters_.repair_requests;
    Send(RepairPeer(op), EncodeRequestPrepare(options_.cluster, RequestPrepare{.from = From(),
                                                                               .group = group.id,
                                                                               .op = op,
                                                                               .checksum = canonical->second}));
  }
}

// The whole entries recovery found above the log's last op (beyond a faulty op) are
// this replica's promises; peers may not hold them (B7: maybe only this replica's disk
// does). Their headers link the canonical chain down across the ops no peer can
// describe, to the faulty op, whose checksum a repair then asks for; once it is
// appended the log carries on through them (Journal::Append). A header is believed,
// as from a peer (OnHeaders), only where its checksum is already canonical.
void Replica::LearnFromRecoveredHeaders(Group& group) {
  GroupLog& log = *group.log;
  const uint64_t low = std::max(log.last_op(), group.verified_op) + 1;
  for (uint64_t op = std::min(group.head_op, log.faulty_head_op()); op >= low && op > 0; --op) {
    const std::optional<absl::uint128> canonical = Canonical(group, op);
    if (!canonical.has_value()) continue;
    const std::optional<ByteSpan> header = log.RecoveredHeaderAbove(op);
    if (!header.has_value() || wire::PrepareChecksum(*header) != *canonical) continue;
    SLUICE_ASSERT(base::LoadLittleEndian<uint64_t>(*header, wire::header_offset::kOp) == op, "recovered header of op ",
                  op, " names another op");
    Learn(group, op, *canonical, base::LoadU128(*header, wire::header_offset::kParent));
  }
}

void Replica::OnRequestPrepare(uint8_t from, const RequestPrepare& message) {
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  if (message.op <= group->log->base_op()) return OfferSnapshot(from, *group, message.op);  // B15
  const std::optional<absl::uint128> local = group->log->ChecksumAt(message.op);
  if (local == std::optional<absl::uint128>(message.checksum) ||
      (!local.has_value() && message.op <= group->log->last_op())) {
    // A log may keep only its recent checksums in memory (a partition log): an older
    // entry is read and sent only if it is the one asked for.
    std::weak_ptr<int> alive = alive_;
    const absl::uint128 wanted = message.checksum;
    group->log->ReadEntry(message.op, [this, alive, from, wanted](absl::StatusOr<Bytes> entry) {
      if (alive.lock() == nullptr || failed() || !entry.ok()) return;
      if (entry->size() < wire::kHeaderSize || wire::PrepareChecksum(*entry) != wanted) return;
      Send(from, *entry);
    });
    return;
  }
  const auto buffered = group->buffered.find(message.op);
  if (buffered != group->buffered.end() && wire::PrepareChecksum(buffered->second) == message.checksum) {
    Send(from, buffered->second);
  }
}

void Replica::OnRequestHeaders(uint8_t from, const RequestHeaders& message) {
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  // Ops at or below the base are in the checkpoint only: the peer needs state sync (B15).
  if (message.op_min <= group->log->base_op()) OfferSnapshot(from, *group, message.op_min);
  std::vector<ByteSpan> headers;
  const uint64_t last = std::min(message.op_max, group->log->last_op());
  uint64_t op = last;
  for (; op >= message.op_min && op > group->log->base_op() && headers.size() < options_.repair_headers_max; --op) {
    const std::optional<ByteSpan> header = group->log->Header(op);
    if (!header.has_value()) break;
    headers.push_back(*header);
  }
  if (!headers.empty()) {
    Send(from, EncodeHeaders(options_.cluster, From(), group->id, headers, network_.frame_size_max_bytes()));
    return;
  }
  if (op < message.op_min || op <= group->log->base_op()) return;
  // A log may keep only its recent headers in memory (a partition log): older ones are
  // read from their entries, so a replica lagging further still links its chain.
  SendHeadersFromEntries(from, *group, std::max(message.op_min, group->log->base_op() + 1), op);
}

void Replica::SendHeadersFromEntries(uint8_t to, Group& group, uint64_t op_min, uint64_t op_max) {
  const uint64_t low = std::max(op_min, op_max + 1 > options_.repair_headers_max ? op_max + 1 - options_.repair_headers_max : 0);
  struct Gathered {
    std::vector<std::optional<Bytes>> headers;  // by op - low
    size_t remaining = 0;
  };
  auto gathered = std::make_shared<Gathered>();
  gathered->headers.resize(op_max - low + 1);
  gathered->remaining = gathered->headers.size();
  const GroupId id = group.id;
  std::weak_ptr<int> alive = alive_;
  for (uint64_t op = low; op <= op_max; ++op) {
    group.log->ReadEntry(op, [this, alive, gathered, to, id, low, op](absl::StatusOr<Bytes> entry) {
      if (alive.lock() == nullptr) return;
      if (entry.ok() && entry->size() >= wire::kHeaderSize) {
        gathered->headers[op - low] = Bytes(entry->begin(), entry->begin() + wire::kHeaderSize);
      }
      if (--gathered->remaining > 0 || failed()) return;
      // Newest first, as from memory; stop at the first entry that could not be read.
      std::vector<ByteSpan> headers;
      for (size_t i = gathered->headers.size(); i > 0 && gathered->headers[i - 1].has_value(); --i) {
        headers.push_back(*gathered->headers[i - 1]);
      }
      if (headers.empty() || FindGroup(id) == nullptr) return;
      Send(to, EncodeHeaders(options_.cluster, From(), id, headers, network_.frame_size_max_bytes()));
    });
  }
}

void Replica::OnHeaders(uint8_t from, const HeadersMessage& message) {
  Group* group = FindGroup(message.group);
  if (group == nullptr) {
    ++counters_.frames_rejected;
    return;
  }
  if (status_ != Status::kNormal) return;
  std::vector<size_t> order(message.headers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return message.headers[a].op > message.headers[b].op; });
  for (size_t i : order) {
    const wire::PrepareHeader& header = message.headers[i];
    // A header is believed only if it links to a checksum already known canonical.
    if (Canonical(*group, header.op) == std::optional<absl::uint128>(message.checksums[i])) {
      Learn(*group, header.op, message.checksums[i], header.parent);
    }
  }
  Advance(*group);
}

}  // namespace sluice::vsr
