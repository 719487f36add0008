#include "core/bootstrap/single_node_bootstrap.h"

#include <utility>

#include "absl/strings/str_cat.h"

namespace sluice::bootstrap {

io::Task<absl::StatusOr<BootedSingleNode>> BootSingleNode(io::Storage& storage,
                                                          SingleNodeBootOptions options) {
  if (!options.partitions.single_node) {
    co_return absl::InvalidArgumentError("BootSingleNode needs single-node partition options");
  }
  options.partitions.cluster = options.metadata.journal.cluster;
  BootedSingleNode booted;
  CO_ASSIGN_OR_RETURN(booted.metadata,
                      co_await metadata_store::SingleNodeMetadata::Open(storage, options.metadata),
                      "boot step 3 (metadata)");
  for (const std::string& decision : booted.metadata->decisions()) {
    booted.log.decisions.push_back("metadata: " + decision);
  }
  for (const std::string& warning : booted.metadata->warnings()) {
    booted.log.warnings.push_back("metadata: " + warning);
  }
  const metadata::MetadataState& state = booted.metadata->state();
  const uint64_t created_through_op = booted.metadata->superblock().state.metadata_checkpoint.op;
  CO_ASSIGN_OR_RETURN(booted.partitions,
                      co_await RecoverPartitions(storage, state, created_through_op,
                                                 options.partitions, booted.log),
                      "boot step 4 (partitions)");
  CO_RETURN_IF_ERROR(co_await RemoveStaleIncarnations(storage, state, booted.log),
                     "boot step 4 (stale partition directories)");
  booted.log.decisions.push_back(absl::StrCat("metadata at op ", state.last_applied_op, ", ",
                                              booted.partitions.size(), " partition(s) recovered"));
  co_return booted;
}

}  // namespace sluice::bootstrap
