#include "core/journal/concurrent_writes.h"

#include <memory>

#include "core/base/assert.h"

namespace sluice::journal {
namespace {

// Shared by the writes' callbacks; freed with the last of them (also when a
// process restart drops them unrun).
struct JoinState {
  explicit JoinState(size_t count) : remaining(count), statuses(count) {}
  size_t remaining;
  std::vector<absl::Status> statuses;
  absl::AnyInvocable<void(absl::Status)> done;

  void Finish(size_t index, absl::Status status) {
    statuses[index] = std::move(status);
    if (--remaining != 0) return;
    for (absl::Status& result : statuses) {
      if (!result.ok()) return done(std::move(result));
    }
    done(absl::OkStatus());
  }
};

}  // namespace

io::CompletionAwaiter<absl::Status> WriteAll(io::Storage& storage, io::FileHandle file,
                                             std::vector<WriteRequest> writes) {
  SLUICE_ASSERT(!writes.empty(), "WriteAll of no writes would never complete");
  return io::CompletionAwaiter<absl::Status>(
      [&storage, file, writes = std::move(writes)](absl::AnyInvocable<void(absl::Status)> done) {
        auto state = std::make_shared<JoinState>(writes.size());
        state->done = std::move(done);
        for (size_t i = 0; i < writes.size(); ++i) {
          storage.Write(file, writes[i].offset, writes[i].data,
                        [state, i](absl::Status status) { state->Finish(i, std::move(status)); });
        }
      });
}

}  // namespace sluice::journal
