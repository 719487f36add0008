#include "core/io/task.h"

#include <array>
#include <new>

namespace sluice::io::task_internal {
namespace {

constexpr std::size_t kGranule = 64;
constexpr std::size_t kClasses = 256;  // frames up to 16 KiB are pooled

struct FreeListNode {
  FreeListNode* next;
};

// Heads of the per-size-class free lists of this thread.
thread_local std::array<FreeListNode*, kClasses> free_lists{};

std::size_t ClassOf(std::size_t size) { return (size + kGranule - 1) / kGranule; }

}  // namespace

void* AllocateFrame(std::size_t size) {
  const std::size_t size_class = ClassOf(size);
  if (size_class >= kClasses) return ::operator new(size);
  FreeListNode*& head = free_lists[size_class];
  if (head != nullptr) {
    FreeListNode* frame = head;
    head = frame->next;
    return frame;
  }
  return ::operator new(size_class * kGranule);
}

void FreeFrame(void* frame, std::size_t size) noexcept {
  const std::size_t size_class = ClassOf(size);
  if (size_class >= kClasses) {
    ::operator delete(frame);
    return;
  }
  auto* free_frame = static_cast<FreeListNode*>(frame);
  free_frame->next = free_lists[size_class];
  free_lists[size_class] = free_frame;
}

}  // namespace sluice::io::task_internal
