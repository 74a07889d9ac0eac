// Work on several threads whose failures reach the caller: the one way the engine starts
// worker threads (runtime/exec/evaluate.cpp's blocks).
#pragma once
#include <functional>

namespace seg {

// Runs fn(0) on the calling thread and fn(1) … fn(threads - 1) on threads of their own, and
// returns when all have finished. A thread that cannot start (a process limit) is skipped, so
// fn must take its work from a shared counter: the others do that thread's share. The first
// exception any fn throws is rethrown here once every thread has finished: out of memory in
// a worker is the caller's std::bad_alloc, as on one thread, not std::terminate ending the
// process (the C API promises never to abort).
void run_on_threads(unsigned threads, const std::function<void(unsigned)>& fn);

}  // namespace seg
