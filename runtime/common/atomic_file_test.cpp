#include "decree/atomic_file.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace decree {
namespace {

namespace fs = std::filesystem;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class AtomicFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("decree-atomic-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AtomicFileTest, WritesWholeFilesAndLeavesNoTemporary) {
  const std::string path = (dir_ / "out.txt").string();
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(Slurp(path), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(AtomicFileTest, AnAbandonedFileLeavesTheTargetAsItWas) {
  const std::string path = (dir_ / "out.txt").string();
  ASSERT_TRUE(WriteFileAtomically(path, "complete").ok());
  {
    AtomicFile f;
    ASSERT_TRUE(f.Open(path).ok());
    ASSERT_TRUE(f.Write("partial").ok());
    EXPECT_TRUE(fs::exists(f.temp_path()));
  }  // destroyed without Commit()
  EXPECT_EQ(Slurp(path), "complete");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);
}

TEST_F(AtomicFileTest, TemporariesOfDeadProcessesAreRemoved) {
  // A pid that no longer exists: a child that has exited and been reaped.
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  waitpid(dead, nullptr, 0);
  const fs::path stale = dir_ / ("out.txt.tmp." + std::to_string(dead));
  const fs::path live = dir_ / ("out.txt.tmp." + std::to_string(getppid()));  // a running process
  const fs::path other = dir_ / ("other.txt.tmp." + std::to_string(dead));    // another target's
  for (const fs::path& p : {stale, live, other}) std::ofstream(p) << "x";
  ASSERT_TRUE(WriteFileAtomically((dir_ / "out.txt").string(), "data").ok());
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live)) << "a running process's temporary file must be left alone";
  EXPECT_TRUE(fs::exists(other));
}

TEST_F(AtomicFileTest, WritesThroughASymbolicLink) {
  std::string target = (dir_ / "real.txt").string(), link = (dir_ / "link.txt").string();
  ASSERT_TRUE(WriteFileAtomically(target, "old").ok());
  std::filesystem::create_symlink("real.txt", link);
  ASSERT_TRUE(WriteFileAtomically(link, "new").ok());
  EXPECT_TRUE(std::filesystem::is_symlink(link)) << "the link was replaced by a file";
  EXPECT_EQ(Slurp(target), "new");
}

TEST_F(AtomicFileTest, WritesADeviceInPlace) {
  ASSERT_TRUE(WriteFileAtomically("/dev/null", "discarded").ok());
  EXPECT_TRUE(std::filesystem::is_character_file("/dev/null"));
  AtomicFile f;
  EXPECT_FALSE(f.Reserve("/dev/null").ok()) << "a SQLite writer needs a regular file";
}

}  // namespace
}  // namespace decree
