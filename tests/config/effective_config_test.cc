// Rule B11 on the simulator's disk: the effective config is written to
// runtime/current_config.toml atomically. A crash after any number of the write's
// storage operations — with unsynced data and directory changes lost, kept or half
// kept — leaves no file (if there was none), the old file, or the complete new one:
// never a torn or mixed one. After OK the new file survives a crash. The root
// password never reaches the disk.
#include "core/config/effective_config.h"

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "core/base/prng.h"
#include "core/config/config.h"
#include "core/io/io_error.h"
#include "core/io/testing/blocking_storage.h"
#include "core/io/testing/interrupting_storage.h"
#include "sim/sim_loop.h"
#include "sim/sim_storage.h"

namespace sluice::config {
namespace {

using base::Ratio;

// One simulated machine: a loop, its disk, an interrupting view of the disk (the
// "process" stops after its k-th storage operation) and a blocking view for checks.
class Machine {
 public:
  explicit Machine(uint64_t seed = 1)
      : storage_(loop_, {.seed = seed, .sector_size_bytes = 512}),
        interrupting_(storage_, loop_),
        disk_(storage_, loop_) {}

  absl::Status Write(io::Storage& storage, const Config& config) {
    return io::testing::RunTask(loop_, WriteEffectiveConfig(storage, config));
  }

  // The file's contents, or the error reading it (NotFound if it does not exist).
  absl::StatusOr<std::string> ReadEffective() {
    const absl::StatusOr<Bytes> bytes = disk_.ReadFile(std::string(kEffectiveConfigPath));
    if (!bytes.ok()) return bytes.status();
    return std::string(bytes->begin(), bytes->end());
  }

  sim::SimLoop loop_;
  sim::SimStorage storage_;
  io::testing::InterruptingStorage interrupting_;
  io::testing::BlockingStorage disk_;
};

Config OldConfig() {
  Config config;
  config.data.directory = "/srv/old";
  config.root.password = "old-root-secret";
  return config;
}

// Differs from OldConfig in many keys, so a torn mix of the two would show.
Config NewConfig() {
  Config config;
  config.namespace_widths = {16, 16, 16};
  config.cluster.id = 0xC1;
  config.cluster.replica_count = 3;
  config.cluster.replica_index = 2;
  config.cluster.replicas = {{"10.0.0.1", 9001}, {"10.0.0.2", 9001}, {"10.0.0.3", 9001}};
  config.tcp.address = {"127.0.0.1", 18090};
  config.root.username = "operator";
  config.root.password = "new-root-secret";
  config.data.directory = "/srv/new";
  config.recovery.clamp_consumer_offsets = true;
  config.timeouts.session_idle_ticks = 12'345;
  config.limits.pipeline_max = 16;
  return config;
}

TEST(EffectiveConfigTest, WritesEveryKeyToRuntimeCurrentConfigDurably_B11) {
  Machine machine;
  ASSERT_TRUE(machine.Write(machine.storage_, NewConfig()).ok());
  machine.storage_.CrashMachine(Ratio::Never(), Ratio::Never());  // only synced state survives

  const absl::StatusOr<std::string> text = machine.ReadEffective();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, RenderEffectiveConfig(NewConfig()));
  const absl::StatusOr<Config> loaded =
      LoadConfig(ConfigFile{.path = std::string(kEffectiveConfigPath), .contents = *text}, {});
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  Config expected = NewConfig();
  expected.root.password = RootConfig{}.password;  // redacted in the file
  EXPECT_EQ(*loaded, expected);

  const absl::StatusOr<std::vector<io::DirectoryEntry>> entries = machine.disk_.List("runtime");
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(*entries,
            (std::vector<io::DirectoryEntry>{{"current_config.toml", io::EntryType::kFile}}))
      << "the temporary file is renamed away";
}

TEST(EffectiveConfigTest, TheRootPasswordNeverReachesTheDisk_B11) {
  Machine machine;
  ASSERT_TRUE(machine.Write(machine.storage_, NewConfig()).ok());
  const absl::StatusOr<std::string> text = machine.ReadEffective();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(text->find("new-root-secret"), std::string::npos) << *text;
  EXPECT_NE(text->find("# password = (redacted"), std::string::npos) << *text;
}

TEST(EffectiveConfigTest, ReplacesAnEarlierFileAndKeepsAnExistingRuntimeDirectory_B11) {
  Machine machine;
  ASSERT_TRUE(machine.Write(machine.storage_, OldConfig()).ok());
  ASSERT_TRUE(machine.Write(machine.storage_, NewConfig()).ok());
  machine.storage_.CrashMachine(Ratio::Never(), Ratio::Never());
  const absl::StatusOr<std::string> text = machine.ReadEffective();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, RenderEffectiveConfig(NewConfig()));
}

TEST(EffectiveConfigTest, TheConfigNeedNotOutliveTheTask_B11) {
  Machine machine;
  io::Task<absl::Status> task = [&machine] {
    const Config temporary = NewConfig();
    return WriteEffectiveConfig(machine.storage_, temporary);
  }();
  ASSERT_TRUE(io::testing::RunTask(machine.loop_, std::move(task)).ok());
  const absl::StatusOr<std::string> text = machine.ReadEffective();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text, RenderEffectiveConfig(NewConfig()));
}

TEST(EffectiveConfigTest, AFailedSyncIsReportedNamingTheFile_B1_B11) {
  Machine machine;
  machine.storage_.InjectSyncFailure("runtime/current_config.toml.tmp");
  const absl::Status written = machine.Write(machine.storage_, NewConfig());
  ASSERT_FALSE(written.ok());
  EXPECT_TRUE(io::IsEio(written)) << written;
  EXPECT_NE(written.message().find("runtime/current_config.toml.tmp"), std::string::npos)
      << written;
  EXPECT_NE(written.message().find("rule B11"), std::string::npos) << written;
}

// The number of storage operations one write takes, with or without an old file.
uint64_t OperationsOfOneWrite(bool with_old_file) {
  Machine reference;
  if (with_old_file) SLUICE_ASSERT(reference.Write(reference.interrupting_, OldConfig()).ok());
  const uint64_t start = reference.interrupting_.completions();
  SLUICE_ASSERT(reference.Write(reference.interrupting_, NewConfig()).ok());
  return reference.interrupting_.completions() - start;
}

TEST(EffectiveConfigTest, ACrashAtEveryStepLeavesNoFileTheOldOneOrTheWholeNewOne_B11) {
  const std::string old_text = RenderEffectiveConfig(OldConfig());
  const std::string new_text = RenderEffectiveConfig(NewConfig());
  ASSERT_GT(new_text.size(), 4 * 512u) << "the file spans several sectors, so it could tear";
  const Ratio landings[] = {Ratio::Never(), Ratio::Always(), Ratio{1, 2}};
  for (const bool with_old_file : {false, true}) {
    const uint64_t total = OperationsOfOneWrite(with_old_file);
    ASSERT_GE(total, 9u) << "mkdir, sync dir, open, truncate, write, sync, close, rename, sync dir";
    int found_none = 0;
    int found_old = 0;
    int found_new = 0;
    for (uint64_t k = 0; k <= total; ++k) {
      for (size_t landing = 0; landing < 3; ++landing) {
        const std::string run =
            absl::StrCat(with_old_file ? "over an old file" : "on an empty disk",
                         ", crash after operation ", k, " of ", total, ", landing ", landing);
        Machine machine(/*seed=*/k * 3 + landing + 1);
        if (with_old_file) {
          ASSERT_TRUE(machine.Write(machine.interrupting_, OldConfig()).ok());
        }
        machine.interrupting_.StopAfterCompletions(machine.interrupting_.completions() + k);
        const absl::Status written = machine.Write(machine.interrupting_, NewConfig());
        EXPECT_EQ(written.ok(), k == total) << run << ": " << written;
        machine.storage_.CrashMachine(landings[landing], landings[landing]);
        machine.interrupting_.StopAfterCompletions(UINT64_MAX);  // the process restarts

        const absl::StatusOr<std::string> text = machine.ReadEffective();
        if (!text.ok()) {
          EXPECT_TRUE(io::IsEnoent(text.status())) << run << ": " << text.status();
          EXPECT_FALSE(with_old_file) << run << ": the old file was lost";
          ++found_none;
        } else if (*text == old_text) {
          EXPECT_TRUE(with_old_file) << run;
          ++found_old;
        } else {
          ASSERT_EQ(*text, new_text) << run << ": a torn or mixed file";
          ++found_new;
        }
        if (k == total) {
          ASSERT_TRUE(text.ok() && *text == new_text) << run << ": a completed write was lost";
        }
        // The next boot writes it again over whatever the crash left (runtime/, a .tmp).
        ASSERT_TRUE(machine.Write(machine.storage_, NewConfig()).ok()) << run;
        const absl::StatusOr<std::string> rewritten = machine.ReadEffective();
        ASSERT_TRUE(rewritten.ok() && *rewritten == new_text) << run;
      }
    }
    EXPECT_GT(with_old_file ? found_old : found_none, 0);
    EXPECT_GT(found_new, 0);
  }
}

}  // namespace
}  // namespace sluice::config
