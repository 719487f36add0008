// Rule B10: no silent routing fallback.
#include "core/replica/group_router.h"

#include <gtest/gtest.h>

#include "absl/strings/match.h"

namespace sluice::replica {
namespace {

struct FakeGroup {
  int id = 0;
};

TEST(GroupRouterTest, AMessageForANamespaceWithNoOwnerIsDroppedAndCounted_B10) {
  GroupRouter<FakeGroup> router;
  FakeGroup zero{0};
  router.Add(0x8000000000000000, 5, &zero);  // stream 0 / topic 0 / partition 0
  const absl::StatusOr<FakeGroup*> routed = router.Route(0x8000000000000001, 5);
  ASSERT_TRUE(absl::IsNotFound(routed.status())) << routed.status();
  EXPECT_TRUE(absl::StrContains(routed.status().message(), "rule B10")) << routed.status();
  EXPECT_TRUE(absl::StrContains(routed.status().message(), "0x8000000000000001"));
  EXPECT_EQ(router.counters().dropped_no_owner, 1u);
  EXPECT_EQ(router.counters().routed, 0u) << "never delivered to another group";
}

TEST(GroupRouterTest, AMessageForAnotherIncarnationIsDroppedAndCounted_B10) {
  GroupRouter<FakeGroup> router;
  FakeGroup recreated{1};
  router.Add(0x8000000000000000, 42, &recreated);
  const absl::StatusOr<FakeGroup*> routed = router.Route(0x8000000000000000, 5);
  ASSERT_TRUE(absl::IsFailedPrecondition(routed.status())) << routed.status();
  EXPECT_TRUE(absl::StrContains(routed.status().message(), "incarnation 42")) << routed.status();
  EXPECT_EQ(router.counters().dropped_wrong_incarnation, 1u);
}

TEST(GroupRouterTest, TheOwnerOfTheNamedIncarnationGetsIt) {
  GroupRouter<FakeGroup> router;
  FakeGroup a{1};
  FakeGroup b{2};
  router.Add(0x8000000000000000, 3, &a);
  router.Add(0x8000000000000001, 3, &b);
  ASSERT_TRUE(router.Route(0x8000000000000001, 3).ok());
  EXPECT_EQ((*router.Route(0x8000000000000001, 3))->id, 2);
  router.Remove(0x8000000000000001);
  EXPECT_TRUE(absl::IsNotFound(router.Route(0x8000000000000001, 3).status()));
  EXPECT_EQ(router.counters().routed, 2u);
}

}  // namespace
}  // namespace sluice::replica
