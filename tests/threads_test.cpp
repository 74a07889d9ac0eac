// base/threads.hpp: every share of the work is done once, and an exception on any thread
// (the calling one or a worker) reaches the caller after all threads have finished, instead
// of std::terminate ending the process.
#include "base/threads.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <new>
#include <stdexcept>
#include <thread>
#include <vector>

namespace seg {
namespace {

TEST(RunOnThreads, EveryShareIsDoneOnceWhateverTheThreadCount) {
  for (unsigned threads : {1u, 2u, 3u, 8u}) {
    std::vector<std::atomic<int>> done(1000);
    std::atomic<size_t> next{0};
    std::atomic<unsigned> ran{0};
    run_on_threads(threads, [&](unsigned) {
      ++ran;
      for (size_t i; (i = next.fetch_add(1)) < done.size();) ++done[i];
    });
    EXPECT_EQ(ran.load(), threads);
    for (size_t i = 0; i < done.size(); ++i) ASSERT_EQ(done[i].load(), 1) << "share " << i << ", threads " << threads;
  }
}

TEST(RunOnThreads, AWorkersOutOfMemoryIsTheCallersAfterAllHaveFinished) {
  std::atomic<unsigned> finished{0};
  EXPECT_THROW(run_on_threads(4,
                              [&](unsigned t) {
                                if (t == 2) throw std::bad_alloc();
                                ++finished;
                              }),
               std::bad_alloc);
  EXPECT_EQ(finished.load(), 3u);  // the others ran to their end: none left running
}

TEST(RunOnThreads, TheCallingThreadsExceptionWaitsForTheWorkers) {
  std::atomic<bool> worker_done{false};
  try {
    run_on_threads(2, [&](unsigned t) {
      if (t == 0) throw std::runtime_error("calling thread");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // still running when the caller throws
      worker_done = true;
    });
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "calling thread");
    EXPECT_TRUE(worker_done.load());  // joined before the rethrow
  }
}

TEST(RunOnThreads, OneExceptionWhenSeveralThreadsThrow) {
  EXPECT_THROW(run_on_threads(3, [](unsigned t) { throw std::out_of_range(std::to_string(t)); }), std::out_of_range);
}

}  // namespace
}  // namespace seg
