// The client table (DESIGN.md "Clients"): de-duplication by (client, request number)
// returns the cached result without applying again; the table is bounded and evicts
// the client whose last request is oldest.
#include <gtest/gtest.h>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/testing/test_primary.h"

namespace sluice::metadata {
namespace {

using testing::MetadataDriver;
using testing::TestPrimary;
using wire::Operation;

class ClientTableTest : public ::testing::Test {
 protected:
  ClientTableTest() : driver_(MetadataConfig{.clients_max = 2}) {}
  void SetUp() override {
    ASSERT_TRUE(driver_.Run(Operation::kCreateUser, primary_.CreateUser("iggy", "iggy")).ok());
  }
  ApplyResult Login(absl::uint128 client) {
    return driver_.Run(Operation::kRegister,
                       primary_.LoginWithPassword(driver_.state, 0, "iggy"), client);
  }
  ApplyResult ApplyAs(absl::uint128 client, uint64_t request, Operation operation,
                      const Bytes& body) {
    OpContext context = driver_.NextContext(operation, client);
    context.request = request;
    return Apply(driver_.state, context, body);
  }

  TestPrimary primary_;
  MetadataDriver driver_;
};

TEST_F(ClientTableTest, ADuplicateRequestReturnsTheCachedResultWithoutApplyingAgain) {
  ASSERT_TRUE(Login(5).ok());
  const Bytes create = Encode(CreateStreamBody{"s"});
  const ApplyResult first = ApplyAs(5, 1, Operation::kCreateStream, create);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(driver_.state.clients.at(5).last_request, 1u);
  EXPECT_EQ(driver_.state.clients.at(5).last_result, first);
  const ApplyResult again = ApplyAs(5, 1, Operation::kCreateStream, create);
  EXPECT_EQ(again, first) << "not error 1012: the op was not applied twice";
  EXPECT_EQ(driver_.state.streams.size(), 1u);
}

TEST_F(ClientTableTest, AnOlderRequestIsError30AndNoSessionIsError40) {
  ASSERT_TRUE(Login(5).ok());
  ASSERT_TRUE(ApplyAs(5, 3, Operation::kCreateStream, Encode(CreateStreamBody{"s"})).ok());
  EXPECT_EQ(ApplyAs(5, 2, Operation::kCreateStream, Encode(CreateStreamBody{"t"})).error,
            ErrorCode::kStaleClient);
  EXPECT_EQ(ApplyAs(6, 1, Operation::kCreateStream, Encode(CreateStreamBody{"u"})).error,
            ErrorCode::kUnauthenticated);
  EXPECT_EQ(driver_.state.streams.size(), 1u);
}

TEST_F(ClientTableTest, AFullTableEvictsTheClientWithTheOldestRequest) {
  ASSERT_TRUE(Login(1).ok());
  ASSERT_TRUE(Login(2).ok());
  ASSERT_TRUE(ApplyAs(1, 1, Operation::kCreateStream, Encode(CreateStreamBody{"s"})).ok());
  ASSERT_TRUE(Login(3).ok());  // client 2's last op (its Register) is now the oldest
  EXPECT_TRUE(driver_.state.clients.contains(1));
  EXPECT_FALSE(driver_.state.clients.contains(2));
  EXPECT_TRUE(driver_.state.clients.contains(3));
  EXPECT_EQ(driver_.state.clients.size(), 2u);
}

TEST_F(ClientTableTest, RegisteringWithoutAClientIdIsError3) {
  EXPECT_EQ(Login(0).error, ErrorCode::kInvalidCommand);
}

}  // namespace
}  // namespace sluice::metadata
