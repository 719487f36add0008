#pragma once
// Test-only: metadata prepares for the WAL, and WAL images assembled by hand, so a
// test can lay out exactly the bytes a crash or a fault would leave.
//
//   EntryChain chain(kCluster);
//   Bytes first = chain.Next({.commit = 0});       // op 1, parent = anchor
//   Bytes second = chain.Next({.commit = 1});      // op 2, parent = checksum of op 1
//   JournalImage image(options);
//   image.Place(first);

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/numeric/int128.h"
#include "core/base/bytes.h"
#include "core/journal/journal_layout.h"
#include "core/wire/header.h"
#include "core/wire/operation.h"

namespace sluice::journal::testing {

struct EntrySpec {
  uint64_t commit = 0;
  uint32_t view = 0;
  wire::Operation operation = wire::Operation::kCreateStream;
  std::string body = "metadata operation";
};

// Builds consecutive metadata prepares (namespace 0, incarnation 0), each linking to
// the previous one's checksum.
class EntryChain {
 public:
  explicit EntryChain(absl::uint128 cluster, uint64_t first_op = 1, absl::uint128 anchor = 0)
      : cluster_(cluster), next_op_(first_op), parent_(anchor) {}

  Bytes Next(const EntrySpec& spec) {
    wire::PrepareHeader header;
    header.cluster = cluster_;
    header.view = spec.view;
    header.parent = parent_;
    header.op = next_op_;
    header.commit = spec.commit;
    header.timestamp = 1'000'000 + next_op_;
    header.operation = spec.operation;
    Bytes frame = wire::EncodePrepare(header, base::AsBytes(spec.body));
    parent_ = wire::PrepareChecksum(frame);
    ++next_op_;
    return frame;
  }

  // Continues the chain from `op` (the next entry is op + 1) with `checksum` as its
  // parent: to fork a suffix (an older view's leftovers, a rewrite).
  void Rewind(uint64_t op, absl::uint128 checksum) {
    next_op_ = op + 1;
    parent_ = checksum;
  }

  uint64_t next_op() const { return next_op_; }
  absl::uint128 last_checksum() const { return parent_; }

 private:
  absl::uint128 cluster_;
  uint64_t next_op_;
  absl::uint128 parent_;
};

inline uint64_t OpOf(ByteSpan frame) {
  return base::LoadLittleEndian<uint64_t>(frame, wire::header_offset::kOp);
}

// A whole WAL file in memory (journal_layout.h), all slots empty to start.
class JournalImage {
 public:
  explicit JournalImage(const JournalOptions& options)
      : layout_(options), bytes_(layout_.file_size_bytes(), 0) {}

  // Writes the prepare and/or its redundant header copy into the op's slot.
  void Place(ByteSpan frame, bool header_copy = true, bool prepare = true) {
    const uint64_t slot = layout_.SlotOf(OpOf(frame));
    if (header_copy) Copy(layout_.HeaderOffset(slot), frame.first(wire::kHeaderSize));
    if (prepare) Copy(layout_.PrepareOffset(slot), frame);
  }
  void FlipBit(uint64_t offset, uint8_t bit) { bytes_[offset] ^= static_cast<uint8_t>(1u << bit); }
  void Zero(uint64_t offset, uint64_t length) {
    std::fill(bytes_.begin() + static_cast<ptrdiff_t>(offset),
              bytes_.begin() + static_cast<ptrdiff_t>(offset + length), uint8_t{0});
  }

  const JournalLayout& layout() const { return layout_; }
  const Bytes& bytes() const { return bytes_; }
  Bytes& bytes() { return bytes_; }

 private:
  void Copy(uint64_t offset, ByteSpan data) {
    std::copy(data.begin(), data.end(), bytes_.begin() + static_cast<ptrdiff_t>(offset));
  }

  JournalLayout layout_;
  Bytes bytes_;
};

}  // namespace sluice::journal::testing
