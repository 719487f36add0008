// One view change over 1,000 partition groups (plus the metadata group): every
// replica makes a bounded number of durable writes — its VSR state file, at most
// twice (a backup: its view before do_view_change, then the new view's log views
// and heads; the new primary: once), never one per group — and every message stays
// within the frame limit (do_view_change, start_view and the commit heartbeat go
// in chunks; an oversized frame would fail the replica's send assertion).
#include <iostream>

#include "tests/vsr/vsr_fixture.h"

namespace sluice::vsr::testing {
namespace {

constexpr uint64_t kPartitionGroups = 1000;
constexpr size_t kFrameLimitBytes = 16 * 1024;  // small on purpose: forces several chunks
constexpr uint64_t kStorageOperationsPerPersist = 7;  // open, truncate, write, fsync, close, rename, dir fsync

class ViewChangeScale : public ::testing::TestWithParam<uint8_t> {};

TEST_P(ViewChangeScale, ThousandGroupsViewChangeDoesBoundedDurableWritesWithinTheFrameLimit) {
  sim::VsrClusterOptions options = ScenarioOptions(GetParam(), 21, kPartitionGroups + 1);
  options.frame_size_max_bytes = kFrameLimitBytes;
  sim::VsrCluster cluster(options);
  cluster.Start();
  ASSERT_TRUE(cluster.RunUntil([&] { return cluster.Primary().has_value(); }, 1000)) << cluster.Describe();
  // Some uncommitted and committed state in many groups.
  ASSERT_EQ(SubmitAccepted(cluster, 3000, 3000), 3000u);
  ExpectConverges(cluster, 2000);

  const uint8_t old_primary = *cluster.Primary();
  const uint32_t old_view = cluster.replica(old_primary)->view();
  std::vector<uint64_t> persists_before(GetParam()), storage_before(GetParam());
  for (uint8_t r = 0; r < GetParam(); ++r) {
    persists_before[r] = cluster.persists(r);
    storage_before[r] = cluster.storage(r).completed_operations();
  }
  cluster.Crash(old_primary);
  const bool changed = cluster.RunUntil(
      [&] {
        for (uint8_t r = 0; r < GetParam(); ++r) {
          if (r == old_primary) continue;
          if (cluster.replica(r)->status() != Status::kNormal || cluster.replica(r)->view() <= old_view) return false;
        }
        return true;
      },
      2000);
  ASSERT_TRUE(changed) << cluster.Describe();
  uint32_t views = 0;
  for (uint8_t r = 0; r < GetParam(); ++r) {
    if (r == old_primary) continue;
    const uint64_t persists = cluster.persists(r) - persists_before[r];
    const uint64_t storage_operations = cluster.storage(r).completed_operations() - storage_before[r];
    views = std::max(views, cluster.replica(r)->view() - old_view);
    std::cout << "replica " << int{r} << (cluster.replica(r)->is_primary() ? " (new primary)" : "")
              << ": " << persists << " durable VSR state writes, " << storage_operations
              << " storage operations, for " << kPartitionGroups + 1 << " groups\n";
    // One view change (views == 1) costs a backup 2 writes and the primary 1.
    EXPECT_LE(persists, 2u * (cluster.replica(r)->view() - old_view));
    EXPECT_GE(persists, 1u);
    EXPECT_EQ(storage_operations, persists * kStorageOperationsPerPersist);
  }
  EXPECT_EQ(views, 1u) << "expected a single view change";
  cluster.Restart(old_primary);
  ExpectConverges(cluster, 3000);
  EXPECT_EQ(TotalCommitted(cluster), 3000u);
}

INSTANTIATE_TEST_SUITE_P(Replicas, ViewChangeScale, ::testing::Values(3, 5));

}  // namespace
}  // namespace sluice::vsr::testing
