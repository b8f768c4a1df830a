// Work items spread over threads: each thread takes the next unclaimed item until none is
// left, so items are claimed in order but may finish in any order.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <thread>
#include <vector>

namespace decree {

// Runs `fn(worker_index, item)` over items [0, n) on `threads` threads (the caller's thread is
// worker 0).
inline void Parallel(size_t n, int threads, const std::function<void(int, size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto loop = [&](int w) {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(w, i);
  };
  if (threads <= 1 || n <= 1) {
    loop(0);
    return;
  }
  std::vector<std::thread> pool;
  for (int w = 1; w < threads; ++w) pool.emplace_back(loop, w);
  loop(0);
  for (std::thread& t : pool) t.join();
}

}  // namespace decree
