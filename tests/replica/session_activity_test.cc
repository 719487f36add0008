// The session_activity frame (one test per rule of DecodeActivityReport) and the
// primary's activity table: grace at a new view, the two timeouts, the bounds.
#include "core/replica/session_activity.h"

#include <vector>

#include "core/base/bytes.h"
#include "core/wire/header.h"
#include "gtest/gtest.h"

namespace sluice::replica {
namespace {

constexpr absl::uint128 kCluster = 0xC1;

ActivityReport Report() { return {.view = 7, .replica = 2, .clients = {3, 5, absl::MakeUint128(1, 0)}}; }

// Rewrites a header field and seals the frame again (a well-formed lie).
Bytes Resealed(Bytes frame, size_t offset, uint32_t value) {
  base::StoreLittleEndian<uint32_t>(frame, offset, value);
  wire::SealHeader(MutableByteSpan(frame).first(wire::kHeaderSize), ByteSpan(frame).subspan(wire::kHeaderSize));
  return frame;
}

TEST(ActivityReportTest, RoundTrips) {
  const absl::StatusOr<ActivityReport> decoded = DecodeActivityReport(EncodeActivityReport(kCluster, Report()), kCluster);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->view, 7u);
  EXPECT_EQ(decoded->replica, 2);
  EXPECT_EQ(decoded->clients, Report().clients);
}

TEST(ActivityReportTest, FlippedBodyByteIsDataLoss) {
  Bytes frame = EncodeActivityReport(kCluster, Report());
  frame[wire::kHeaderSize + 3] ^= 1;
  EXPECT_TRUE(absl::IsDataLoss(DecodeActivityReport(frame, kCluster).status()));
}

TEST(ActivityReportTest, OtherClusterIsRefused) {
  EXPECT_FALSE(DecodeActivityReport(EncodeActivityReport(kCluster, Report()), kCluster + 1).ok());
}

TEST(ActivityReportTest, CountDisagreeingWithBodyIsRefused) {
  const Bytes frame = Resealed(EncodeActivityReport(kCluster, Report()), 128, 2);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeActivityReport(frame, kCluster).status()));
}

TEST(ActivityReportTest, NonZeroReservedHeaderByteIsRefused) {
  const Bytes frame = Resealed(EncodeActivityReport(kCluster, Report()), 200, 1);
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeActivityReport(frame, kCluster).status()));
}

TEST(ActivityReportTest, UnsortedClientsAreRefused) {
  Bytes frame = EncodeActivityReport(kCluster, Report());
  base::StoreU128(frame, wire::kHeaderSize + 16, 1);  // 3, 1, ...: not increasing
  wire::SealHeader(MutableByteSpan(frame).first(wire::kHeaderSize), ByteSpan(frame).subspan(wire::kHeaderSize));
  EXPECT_TRUE(absl::IsInvalidArgument(DecodeActivityReport(frame, kCluster).status()));
}

metadata::MetadataState TwoClientsOneMember() {
  metadata::MetadataState state;
  state.clients[10] = {.session = 100};
  state.clients[20] = {.session = 200};
  state.streams[1].topics[1].groups[1].members[200] = {0};  // client 20 is a member
  return state;
}

TEST(SessionActivityTest, FirstSightIsGraceThenEachTimeoutApplies) {
  SessionActivity activity(16);
  const metadata::MetadataState state = TwoClientsOneMember();
  // First look at 1000: both taken as seen now.
  EXPECT_TRUE(activity.IdleSessions(state, 0, 1000, 500, 100, 8).empty());
  EXPECT_TRUE(activity.IdleSessions(state, 0, 1100, 500, 100, 8).empty());  // not past 100 yet
  EXPECT_EQ(activity.IdleSessions(state, 0, 1101, 500, 100, 8), std::vector<absl::uint128>{20});  // the member
  EXPECT_EQ(activity.IdleSessions(state, 0, 1501, 500, 100, 8), (std::vector<absl::uint128>{10, 20}));
  EXPECT_EQ(activity.IdleSessions(state, 0, 1501, 500, 100, 1), std::vector<absl::uint128>{10});  // bounded
  activity.Seen(20, 0, 1501);
  EXPECT_EQ(activity.IdleSessions(state, 0, 1502, 500, 100, 8), std::vector<absl::uint128>{10});
}

TEST(SessionActivityTest, ANewViewStartsEverySessionAfresh) {
  SessionActivity activity(16);
  const metadata::MetadataState state = TwoClientsOneMember();
  EXPECT_TRUE(activity.IdleSessions(state, 0, 0, 50, 50, 8).empty());
  EXPECT_EQ(activity.IdleSessions(state, 0, 100, 50, 50, 8).size(), 2u);
  EXPECT_TRUE(activity.IdleSessions(state, 1, 100, 50, 50, 8).empty()) << "view 1 must grant grace";
  EXPECT_EQ(activity.last_seen_ticks(10), 100u);
}

TEST(SessionActivityTest, AMemberTimesOutAtTheShorterOfTheTwo) {
  SessionActivity activity(16);
  const metadata::MetadataState state = TwoClientsOneMember();
  activity.IdleSessions(state, 0, 0, 100, 500, 8);
  EXPECT_EQ(activity.IdleSessions(state, 0, 101, 100, 500, 8), (std::vector<absl::uint128>{10, 20}));
  EXPECT_EQ(activity.IdleSessions(state, 0, 101, 0, 500, 8), std::vector<absl::uint128>{}) << "member: 500";
  EXPECT_EQ(activity.IdleSessions(state, 0, 501, 0, 500, 8), std::vector<absl::uint128>{20}) << "idle: never";
}

TEST(SessionActivityTest, ZeroTimeoutNeverExpires) {
  SessionActivity activity(16);
  const metadata::MetadataState state = TwoClientsOneMember();
  activity.IdleSessions(state, 0, 0, 0, 0, 8);
  EXPECT_TRUE(activity.IdleSessions(state, 0, 1'000'000, 0, 0, 8).empty());
}

TEST(SessionActivityTest, UnregisteredClientsAreForgottenAndTheTableIsBounded) {
  SessionActivity activity(2);
  for (absl::uint128 client = 1; client <= 5; ++client) activity.Seen(client, 0, 1);
  EXPECT_EQ(activity.last_seen_ticks(1), 1u);
  EXPECT_EQ(activity.last_seen_ticks(3), 0u) << "beyond the bound";
  activity.IdleSessions(TwoClientsOneMember(), 0, 2, 50, 50, 8);
  EXPECT_EQ(activity.last_seen_ticks(1), 0u) << "not registered: forgotten";
  EXPECT_EQ(activity.last_seen_ticks(10), 2u);
}

TEST(SessionActivityTest, ABackupReportsEachClientOnceInOrder) {
  SessionActivity activity(3);
  for (const absl::uint128 client : {absl::uint128{9}, absl::uint128{4}, absl::uint128{9}, absl::uint128{7},
                                     absl::uint128{8}}) {
    activity.NoteForReport(client);
  }
  EXPECT_EQ(activity.TakeReport(2), (std::vector<absl::uint128>{4, 7}));
  EXPECT_EQ(activity.TakeReport(10), std::vector<absl::uint128>{9});  // 8 was beyond the bound
  EXPECT_FALSE(activity.report_pending());
}

}  // namespace
}  // namespace sluice::replica
