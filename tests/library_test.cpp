// The rule library: build -> open round-trips everything; damage of any kind is refused.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "decree/library.h"
#include "driver/compilation.h"
#include "ir/ir.h"
#include "ir/library_format.h"

namespace decree {
namespace {

namespace fs = std::filesystem;

class LibraryTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("decree-lib-" + std::to_string(getpid()));
    fs::create_directories(dir_);
    CompileOptions o;
    o.paths = {std::string(DECREE_SOURCE_DIR) + "/rulesets/cn-pboc-lvtr"};
    compilation_ = std::make_unique<Compilation>(o);
    ASSERT_TRUE(compilation_->Run());
    path_ = (dir_ / "lvtr.dlib").string();
    ASSERT_TRUE(ir::WriteLibrary(&compilation_->program(), path_, "test", &hash_).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }

  void Exec(const std::string& sql) {
    sqlite3* db;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }

  fs::path dir_;
  std::string path_, hash_;
  std::unique_ptr<Compilation> compilation_;
};

TEST_F(LibraryTest, RoundTripsIdsCitationsSourceAndHash) {
  std::unique_ptr<Library> lib;
  Status st = Library::Open(path_, &lib);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(lib->content_hash(), hash_);
  const ir::Program& in = compilation_->program();
  const ir::Program& out = lib->program();
  ASSERT_EQ(in.rules.size(), out.rules.size());
  for (size_t i = 0; i < in.rules.size(); ++i) {
    EXPECT_EQ(in.rules[i].id, out.rules[i].id);
    EXPECT_EQ(in.rules[i].citation, out.rules[i].citation);
    EXPECT_EQ(in.rules[i].source_text, out.rules[i].source_text);
    EXPECT_EQ(in.rules[i].hash, out.rules[i].hash);
    EXPECT_EQ(in.rules[i].loc.line, out.rules[i].loc.line);
  }
  EXPECT_EQ(out.tests.size(), in.tests.size());
  EXPECT_NE(out.FindRule("cn.pboc.lvtr.cash"), nullptr);
  EXPECT_EQ(out.FindRule("cn.pboc.lvtr.cash")->citation, "第五条第一款第（一）项 现金收支");
}

TEST_F(LibraryTest, BuildsAreReproducible) {
  std::string again = (dir_ / "again.dlib").string();
  std::string hash2;
  ASSERT_TRUE(ir::WriteLibrary(&compilation_->program(), again, "test", &hash2).ok());
  EXPECT_EQ(hash_, hash2);
  std::ifstream a(path_, std::ios::binary), b(again, std::ios::binary);
  std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_EQ(sa, sb);  // byte-identical files
}

TEST_F(LibraryTest, ModifiedContentIsRefused) {
  Exec("UPDATE rules SET citation = 'forged' WHERE id = 'cn.pboc.lvtr.cash'");
  std::unique_ptr<Library> lib;
  Status st = Library::Open(path_, &lib);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("content hash mismatch"), std::string::npos) << st.ToString();
}

TEST_F(LibraryTest, NewerFormatIsRefused) {
  Exec("UPDATE decree_meta SET value = '99' WHERE key = 'format_version'");
  std::unique_ptr<Library> lib;
  Status st = Library::Open(path_, &lib);
  EXPECT_EQ(st.code(), Status::Code::kNotSupported);
  EXPECT_NE(st.message().find("newer"), std::string::npos) << st.ToString();
}

TEST_F(LibraryTest, TruncatedAndGarbageFilesAreRefused) {
  auto size = fs::file_size(path_);
  for (auto keep : {size / 2, size_t{100}, size_t{0}}) {
    fs::copy_file(path_, path_ + ".t", fs::copy_options::overwrite_existing);
    fs::resize_file(path_ + ".t", keep);
    std::unique_ptr<Library> lib;
    Status st = Library::Open(path_ + ".t", &lib);
    EXPECT_FALSE(st.ok()) << "kept " << keep << " bytes";
  }
  std::ofstream(dir_ / "garbage.dlib") << "this is not a database at all, just text\n";
  std::unique_ptr<Library> lib;
  Status st = Library::Open((dir_ / "garbage.dlib").string(), &lib);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.ToString().find("garbage.dlib"), std::string::npos);
  EXPECT_FALSE(Library::Open((dir_ / "missing.dlib").string(), &lib).ok());
}

TEST_F(LibraryTest, CorruptIrWithAValidHashIsRefused) {
  // Someone edits the IR and recomputes the hash: the IR validator still refuses it.
  Exec("UPDATE rules SET ir = replace(ir, '(i 8)', '(i 999)') WHERE id = 'cn.pboc.lvtr.cash'");
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  std::string hash;
  ASSERT_TRUE(ir::ComputeContentHash(db, &hash).ok());
  sqlite3_exec(db, ("UPDATE decree_meta SET value = '" + hash + "' WHERE key = 'content_hash'").c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::unique_ptr<Library> lib;
  Status st = Library::Open(path_, &lib);
  EXPECT_EQ(st.code(), Status::Code::kCorruption);
  EXPECT_NE(st.message().find("column index out of range"), std::string::npos) << st.ToString();
}

}  // namespace
}  // namespace decree
