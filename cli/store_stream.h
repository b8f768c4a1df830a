// Appending a run to its case store while the run still writes its findings (`run --store`).
//
// The runtime reports each stretch of findings it has written (RunOptions::on_findings_written);
// a thread of this class stores them as they come, so the store's work overlaps the run's last
// phases instead of following them.  When the runtime never reports (findings on a pipe), the
// findings file is read after the run, as before.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "decree/case_store.h"
#include "decree/run.h"

namespace decree::cli {

class StoreStream {
 public:
  // `record` and `complete` as AppendRun takes them; `findings_file` is the run's findings path.
  StoreStream(std::string store, RunRecord record, CompleteRecord complete, std::string findings_file, std::string rejects_file);
  ~StoreStream();  // abandons an unfinished append (nothing is committed)
  StoreStream(const StoreStream&) = delete;
  StoreStream& operator=(const StoreStream&) = delete;

  // For RunOptions::on_findings_written.
  void Written(int fd, uint64_t complete_bytes);
  // After a successful run: stores the rest and commits; sets *run_id.
  Status Finish(const RunResult& result, int64_t* run_id);

 private:
  Status Read(char* buf, size_t cap, size_t* got);

  const std::string store_, findings_file_, rejects_file_;
  const RunRecord record_;
  const CompleteRecord complete_record_;
  RunResult result_;  // set by Finish, read by the thread after the end
  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;                // the findings file, opened to be read
  uint64_t complete_ = 0;      // bytes of complete lines
  uint64_t read_ = 0;          // bytes the thread has read
  bool ended_ = false, abandoned_ = false;
  std::thread thread_;
  Status status_;
  int64_t run_id_ = 0;
};

}  // namespace decree::cli
