// DESIGN.md "Secrets never enter the log": ops built from known plain passwords and
// tokens (hashed with a salt by the test primary, as the real primary must) are
// applied and snapshotted to the simulator's disk; no op body and no byte of any file
// under metadata/ contains a plain password or token.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/metadata/apply.h"
#include "core/metadata/body_codec.h"
#include "core/metadata/snapshot_store.h"
#include "core/metadata/testing/test_primary.h"
#include "tests/metadata/metadata_machine.h"

namespace sluice::metadata {
namespace {

using testing::MetadataDriver;
using testing::MetadataMachine;
using testing::TestPrimary;
using wire::Operation;

const std::vector<std::string> kSecrets = {
    "iggy-root-Passw0rd!",        // root, from the configured credentials
    "alice-first-Passw0rd",       // alice at creation
    "alice-second-Passw0rd",      // alice after ChangePassword
    "bob-only-Passw0rd",          //
    "pat-ci-token-0123456789abc",  // alice's personal access tokens
    "pat-deploy-token-zyxwvuts",
};

bool Contains(const Bytes& haystack, absl::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(SecretsTest, NoPlainPasswordOrTokenInAnyOpBodyOrSnapshotByte) {
  TestPrimary primary;
  MetadataDriver driver;
  std::vector<Bytes> bodies;
  const auto run = [&](Operation operation, Bytes body, absl::uint128 client = 0) {
    bodies.push_back(body);
    const ApplyResult result = driver.Run(operation, body, client);
    EXPECT_TRUE(result.ok()) << wire::OperationName(operation) << ": "
                             << ErrorCodeName(result.error);
  };
  run(Operation::kCreateUser, primary.CreateUser("iggy", kSecrets[0]));
  run(Operation::kCreateUser, primary.CreateUser("alice", kSecrets[1]));
  run(Operation::kCreateUser, primary.CreateUser("bobby", kSecrets[3]));
  run(Operation::kRegister, primary.LoginWithPassword(driver.state, 1, kSecrets[1]), 11);
  run(Operation::kChangePassword,
      primary.ChangePassword(driver.state, 1, kSecrets[1], kSecrets[2]));
  run(Operation::kRegister, primary.LoginWithPassword(driver.state, 1, kSecrets[2]), 12);
  run(Operation::kRegister, primary.LoginWithPassword(driver.state, 0, kSecrets[0]), 13);
  run(Operation::kCreatePersonalAccessToken, TestPrimary::CreateToken(1, "ci", kSecrets[4], 0));
  run(Operation::kCreatePersonalAccessToken,
      TestPrimary::CreateToken(1, "deploy", kSecrets[5], 0));
  run(Operation::kRegister, TestPrimary::LoginWithToken(1, kSecrets[4]), 14);
  run(Operation::kDeletePersonalAccessToken, Encode(DeleteTokenBody{1, "deploy"}));
  run(Operation::kCreateStream, Encode(CreateStreamBody{"orders"}));

  MetadataMachine machine;
  ASSERT_TRUE(machine.Run(CreateSnapshotDirectory(machine.storage_)).ok());
  ASSERT_TRUE(machine
                  .Run(WriteSnapshot(machine.storage_, driver.state,
                                     driver.state.last_applied_op))
                  .ok());
  const absl::StatusOr<std::vector<io::DirectoryEntry>> files = machine.disk_.List("metadata");
  ASSERT_TRUE(files.ok());
  ASSERT_FALSE(files->empty());
  for (const io::DirectoryEntry& file : *files) {
    const absl::StatusOr<Bytes> bytes = machine.disk_.ReadFile("metadata/" + file.name);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    // The scan itself works: what is not secret is there.
    EXPECT_TRUE(Contains(*bytes, "alice") && Contains(*bytes, "orders")) << file.name;
    for (const std::string& secret : kSecrets) {
      EXPECT_FALSE(Contains(*bytes, secret)) << secret << " in " << file.name;
    }
  }
  ASSERT_EQ(bodies.size(), 12u);
  for (size_t i = 0; i < bodies.size(); ++i) {
    for (const std::string& secret : kSecrets) {
      EXPECT_FALSE(Contains(bodies[i], secret)) << secret << " in op body " << i;
    }
  }
  // Logins with the right secrets work, so the hashes stand for them.
  EXPECT_EQ(driver.state.clients.size(), 4u);
}

}  // namespace
}  // namespace sluice::metadata
