// RapidCheck property: over random operation sequences with crashes, every byte that
// was durable before a crash (file data synced, and its name made durable by a
// directory sync) reads back intact after it — unless a corruption fault was
// injected on that byte. Bytes written since the last sync may come back old, new
// or zero, never anything else.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <set>
#include <string>

#include "core/io/testing/blocking_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::sim {
namespace {

enum class OpKind : int {
  kWrite, kTruncate, kSync, kFailedSync, kSyncDirectory, kUnlink, kRename, kBitFlip,
  kRestart, kCrash, kCount
};

struct Op {
  int kind = 0;
  int file = 0;
  int other_file = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint8_t fill = 0;
};

std::ostream& operator<<(std::ostream& out, const Op& op) {
  return out << "Op{kind=" << op.kind << " file=" << op.file << " other=" << op.other_file
             << " offset=" << op.offset << " length=" << op.length << " fill=" << int{op.fill} << "}";
}

rc::Gen<Op> GenOp() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::inRange(0, static_cast<int>(OpKind::kCount))),
      rc::gen::set(&Op::file, rc::gen::inRange(0, 3)),
      rc::gen::set(&Op::other_file, rc::gen::inRange(0, 3)),
      rc::gen::set(&Op::offset, rc::gen::inRange<uint32_t>(0, 3000)),
      rc::gen::set(&Op::length, rc::gen::inRange<uint32_t>(0, 1500)),
      rc::gen::set(&Op::fill, rc::gen::arbitrary<uint8_t>()));
}

std::string NameOf(int file) { return "f" + std::to_string(file); }

// What the model knows about one file: for each byte, every value the media may
// hold for it after a crash (one value once it is known durable), which bytes are
// dirty (written since the last sync) or doomed (dirty at a failed sync, and not
// rewritten since), and every size the file may come back with.
struct FileModel {
  Bytes current;
  std::vector<std::set<uint8_t>> possible;
  std::set<uint64_t> dirty;
  std::set<uint64_t> doomed;
  std::set<uint64_t> corrupted;  // a fault was injected here: not checked
  std::set<uint64_t> possible_sizes = {0};
  bool failed_sync_since_crash = false;  // a doomed size change may still be lost

  void Grow(uint64_t size) {
    while (possible.size() < size) possible.push_back({0});
  }
};

class Harness {
 public:
  explicit Harness(uint64_t seed)
      : storage_(loop_, {.seed = seed, .sector_size_bytes = 512}), disk_(storage_, loop_) {}

  void Apply(const Op& op) {
    const std::string name = NameOf(op.file);
    switch (static_cast<OpKind>(op.kind)) {
      case OpKind::kWrite: return Write(name, op);
      case OpKind::kTruncate: return Truncate(name, op.offset);
      case OpKind::kSync: return Sync(name, /*fail=*/false);
      case OpKind::kFailedSync: return Sync(name, /*fail=*/true);
      case OpKind::kSyncDirectory:
        RC_ASSERT(disk_.SyncDirectory("").ok());
        durable_names_ = names_;
        unsynced_names_.clear();
        return;
      case OpKind::kUnlink:
        if (!names_.contains(name)) return;
        RC_ASSERT(disk_.Unlink(name).ok());
        names_.erase(name);
        unsynced_names_.insert(name);
        return;
      case OpKind::kRename: return Rename(name, NameOf(op.other_file));
      case OpKind::kBitFlip: return FlipBit(name, op);
      case OpKind::kRestart:
        storage_.RestartProcess();  // the page cache survives: nothing to re-check
        return;
      case OpKind::kCrash:
        storage_.CrashMachine();
        return CheckAfterCrash();
      case OpKind::kCount: break;
    }
    RC_FAIL("unknown op");
  }

 private:
  FileModel& Open(const std::string& name, io::FileHandle& handle) {
    absl::StatusOr<io::FileHandle> file = disk_.Open(name, io::OpenMode::kCreate);
    RC_ASSERT(file.ok());
    handle = *file;
    if (!names_.contains(name)) {
      names_[name] = next_file_id_;
      unsynced_names_.insert(name);
      files_[next_file_id_++] = FileModel{};
    }
    return files_.at(names_.at(name));
  }

  void Write(const std::string& name, const Op& op) {
    io::FileHandle handle;
    FileModel& model = Open(name, handle);
    const Bytes data(op.length, op.fill);
    RC_ASSERT(disk_.Write(handle, op.offset, data).ok());
    const uint64_t end = uint64_t{op.offset} + op.length;
    if (end > model.current.size()) {
      for (uint64_t i = model.current.size(); i < end; ++i) model.dirty.insert(i);
      model.current.resize(end, 0);
      model.possible_sizes.insert(end);
    }
    model.Grow(end);
    for (uint64_t i = op.offset; i < end; ++i) {
      model.current[i] = op.fill;
      model.possible[i].insert(op.fill);
      model.dirty.insert(i);
      model.doomed.erase(i);
      // A corrupted byte stays suspect until the rewrite is synced: if the rewrite
      // does not land at a crash, the media still holds the flipped bit.
    }
    RC_ASSERT(disk_.Close(handle).ok());
  }

  void Truncate(const std::string& name, uint64_t size) {
    io::FileHandle handle;
    FileModel& model = Open(name, handle);
    RC_ASSERT(disk_.Truncate(handle, size).ok());
    model.Grow(size);
    for (uint64_t i = std::min<uint64_t>(size, model.current.size()); i < model.possible.size(); ++i) {
      model.possible[i].insert(0);
      model.dirty.insert(i);
    }
    model.current.resize(size, 0);
    model.possible_sizes.insert(size);
    RC_ASSERT(disk_.Close(handle).ok());
  }

  void Sync(const std::string& name, bool fail) {
    io::FileHandle handle;
    FileModel& model = Open(name, handle);
    if (fail) storage_.InjectSyncFailure(name);
    const absl::Status status = disk_.Sync(handle);
    RC_ASSERT(status.ok() != fail);
    if (fail) {
      model.doomed.insert(model.dirty.begin(), model.dirty.end());
      model.dirty.clear();
      model.failed_sync_since_crash = true;
    } else {
      for (const uint64_t i : model.dirty) {
        if (i < model.current.size()) model.possible[i] = {model.current[i]};
        model.corrupted.erase(i);
      }
      model.dirty.clear();
      // A doomed size change may still be lost; otherwise the size is now known.
      if (!model.failed_sync_since_crash) {
        model.possible_sizes = {static_cast<uint64_t>(model.current.size())};
      }
    }
    RC_ASSERT(disk_.Close(handle).ok());
  }

  void Rename(const std::string& from, const std::string& to) {
    if (!names_.contains(from) || from == to) return;
    RC_ASSERT(disk_.Rename(from, to).ok());
    names_[to] = names_.at(from);
    names_.erase(from);
    unsynced_names_.insert(from);
    unsynced_names_.insert(to);
  }

  void FlipBit(const std::string& name, const Op& op) {
    if (!names_.contains(name)) return;
    FileModel& model = files_.at(names_.at(name));
    if (model.current.empty()) return;
    const uint64_t offset = op.offset % model.current.size();
    RC_ASSERT(storage_.InjectBitFlip(name, offset, op.fill % 8).ok());
    model.current[offset] ^= static_cast<uint8_t>(1u << (op.fill % 8));
    model.corrupted.insert(offset);
  }

  void CheckAfterCrash() {
    // Names untouched since the last directory sync must exist, holding bytes the
    // model allows. (A name changed and changed back is not untouched: a crash may
    // keep only the first change.)
    std::map<std::string, uint64_t> survivors;
    for (const auto& [name, id] : durable_names_) {
      if (!unsynced_names_.contains(name)) survivors[name] = id;
    }
    for (const auto& [name, id] : survivors) {
      const absl::StatusOr<Bytes> after = disk_.ReadFile(name);
      RC_ASSERT(after.ok());
      const FileModel& model = files_.at(id);
      RC_ASSERT(model.possible_sizes.contains(after->size()));
      for (uint64_t i = 0; i < after->size(); ++i) {
        if (model.corrupted.contains(i)) continue;
        const std::set<uint8_t>& allowed = model.possible.at(i);
        const bool known = allowed.size() == 1 && !model.dirty.contains(i) && !model.doomed.contains(i);
        if (known) {
          RC_ASSERT((*after)[i] == *allowed.begin());  // a durable byte, intact
        } else {
          RC_ASSERT(allowed.contains((*after)[i]) || (*after)[i] == 0);
        }
      }
    }
    // After a crash everything on disk is durable: rebuild the model from it.
    names_.clear();
    files_.clear();
    const absl::StatusOr<std::vector<io::DirectoryEntry>> entries = disk_.List("");
    RC_ASSERT(entries.ok());
    for (const io::DirectoryEntry& entry : *entries) {
      const absl::StatusOr<Bytes> contents = disk_.ReadFile(entry.name);
      RC_ASSERT(contents.ok());
      FileModel model;
      model.current = *contents;
      for (const uint8_t byte : *contents) model.possible.push_back({byte});
      model.possible_sizes = {static_cast<uint64_t>(contents->size())};
      names_[entry.name] = next_file_id_;
      files_[next_file_id_++] = std::move(model);
    }
    durable_names_ = names_;
    unsynced_names_.clear();
  }

  SimLoop loop_;
  SimStorage storage_;
  io::testing::BlockingStorage disk_;
  uint64_t next_file_id_ = 1;
  std::map<std::string, uint64_t> names_;          // current view: name -> file id
  std::map<std::string, uint64_t> durable_names_;  // as of the last directory sync
  std::set<std::string> unsynced_names_;            // changed since then
  std::map<uint64_t, FileModel> files_;
};

RC_GTEST_PROP(SimStorageProperty, DurableBytesSurviveCrashes, (uint64_t seed)) {
  const auto ops = *rc::gen::container<std::vector<Op>>(GenOp());
  Harness harness(seed);
  for (const Op& op : ops) harness.Apply(op);
  Op crash;
  crash.kind = static_cast<int>(OpKind::kCrash);
  harness.Apply(crash);
}

}  // namespace
}  // namespace sluice::sim
