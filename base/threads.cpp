// Worker threads whose exceptions are rethrown to the caller (see threads.hpp).
#include "base/threads.hpp"

#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace seg {

void run_on_threads(unsigned threads, const std::function<void(unsigned)>& fn) {
  std::exception_ptr first;
  std::mutex first_mu;
  auto run = [&](unsigned t) {
    try {
      fn(t);
    } catch (...) {
      std::lock_guard lock(first_mu);
      if (!first) first = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  try {
    pool.reserve(threads > 0 ? threads - 1 : 0);
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(run, t);
  } catch (const std::system_error&) {
    // Not started: the threads that did (and this one) take its share from the counter.
  } catch (const std::bad_alloc&) {
    // The same for a thread object that could not be allocated.
  }
  run(0);
  for (auto& th : pool) th.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace seg
