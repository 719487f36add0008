#include "core/replica/pipeline_budget.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace sluice::replica {

PipelineBudget::Hold& PipelineBudget::Hold::operator=(Hold&& other) noexcept {
  if (this != &other) {
    Release();
    budget_ = std::exchange(other.budget_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    epoch_ = other.epoch_;
  }
  return *this;
}

void PipelineBudget::Hold::Release() {
  if (budget_ != nullptr && budget_->epoch_ == epoch_) budget_->pool_.Release(bytes_);
  budget_ = nullptr;
  bytes_ = 0;
}

absl::StatusOr<PipelineBudget::Hold> PipelineBudget::Reserve(uint32_t view, uint64_t bytes) {
  if (view != view_) {
    view_ = view;
    ++epoch_;
    pool_.Release(pool_.used_bytes());
  }
  if (!pool_.TryReserve(bytes)) {
    return absl::UnavailableError(absl::StrCat("the pipeline's memory budget is full (", pool_.used_bytes(), " of ",
                                               pool_.limit_bytes(), " bytes held for ", bytes,
                                               " more); retry once replies have gone out"));
  }
  return Hold(this, bytes, epoch_);
}

}  // namespace sluice::replica
