#include "store_stream.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace decree::cli {

StoreStream::StoreStream(std::string store, RunRecord record, CompleteRecord complete, std::string findings_file,
                         std::string rejects_file)
    : store_(std::move(store)),
      findings_file_(std::move(findings_file)),
      rejects_file_(std::move(rejects_file)),
      record_(std::move(record)),
      complete_record_(std::move(complete)) {}


void StoreStream::Written(int fd, uint64_t complete_bytes) {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) {
    // The runtime's descriptor is write-only: the same file, opened again to be read.
    fd_ = open(fmt::format("/proc/self/fd/{}", fd).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return;  // left to Finish, which reads the file when the run is over
    thread_ = std::thread([this] {
      FindingsReader read = [this](char* buf, size_t cap, size_t* got) { return Read(buf, cap, got); };
      // AppendRun reads result_ only after the reader has reported the end, which Finish
      // signals after setting it (under the mutex).
      status_ = AppendRun(store_, record_, result_, read, findings_file_, &run_id_, rejects_file_, complete_record_);
    });
  }
  complete_ = complete_bytes;
  cv_.notify_one();
}

Status StoreStream::Read(char* buf, size_t cap, size_t* got) {
  *got = 0;
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return abandoned_ || ended_ || read_ < complete_; });
  if (abandoned_) return Status::IoError("the run did not finish");
  if (read_ == complete_) return Status::Ok();  // ended, all read
  size_t want = static_cast<size_t>(std::min<uint64_t>(cap, complete_ - read_));
  uint64_t at = read_;
  lock.unlock();
  ssize_t n;
  do {
    n = pread(fd_, buf, want, static_cast<off_t>(at));
  } while (n < 0 && errno == EINTR);
  if (n <= 0) return Status::IoError(n < 0 ? std::strerror(errno) : "the findings file is shorter than written");
  lock.lock();
  read_ += static_cast<uint64_t>(n);
  *got = static_cast<size_t>(n);
  return Status::Ok();
}

Status StoreStream::Finish(const RunResult& result, int64_t* run_id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    result_ = result;
    if (!thread_.joinable()) {  // the runtime never reported: read the file now
      ended_ = true;
      return AppendRun(store_, record_, result, findings_file_, run_id, rejects_file_, complete_record_);
    }
    ended_ = true;
    cv_.notify_one();
  }
  thread_.join();
  *run_id = run_id_;
  return status_;
}

StoreStream::~StoreStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!ended_) abandoned_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) close(fd_);
}

}  // namespace decree::cli
