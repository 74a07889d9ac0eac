// The JIT's interface (docs/runtime.md, "The JIT"): compiles a conjunction of column tests into
// one fused kernel per block with LLVM 14 ORC. Plain header: LLVM stays in jit_llvm.cpp, a
// module of its own that jit_module.cpp opens on first use; a build without LLVM links
// jit_none.cpp instead, whose kernels never compile.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace seg::rt::jit {

// One test of a conjunction, as the kernel's code sees it: literals are not part of the
// shape (they come in `params` at run time), so `spot = 12` and `spot = 13` share a kernel.
struct LeafShape {
  bool range = true;     // lo <= offset <= hi (params: lo, hi - lo); else an `in` list (params: its values)
  uint8_t width = 1;     // bytes per stored offset: 1, 2, 4 or 8
  uint8_t values = 0;    // `in` lists: how many (1..8)
  bool negated = false;  // match non-null rows outside instead
  bool nullable = false; // AND with the validity bitmap
};

// Narrows the selection words sel[idx[0..k)] (64 rows a word; the block's non-empty words,
// in order) to the rows passing every leaf, in place; returns whether any is left. cols[i]:
// leaf i's offsets for the block; valid[i]: its validity words (nullable leaves); params: each
// leaf's literals in leaf order. Like the interpreter's leaves, it prefetches the lines of
// the word kPrefetchAhead entries ahead: a sparse selection's loads otherwise stall.
using Kernel = uint64_t (*)(const void* const* cols, const uint64_t* const* valid, const uint64_t* params,
                            uint64_t* sel, const uint16_t* idx, uint64_t k);
inline constexpr uint64_t kPrefetchAhead = 32;

// Whether the JIT can run: this build has it (LLVM 14 found at configure time) and its module
// opens (the first call opens it). If not, why_unavailable() says why.
bool available();
std::string why_unavailable();
// The kernel for `shape`, compiled once and then cached for the process; nullptr with `error`
// set when it cannot be compiled (the caller falls back to the interpreter).
Kernel kernel_for(const std::vector<LeafShape>& shape, std::string& error);

struct Stats {
  uint64_t compiled = 0;     // kernels compiled
  uint64_t cache_hits = 0;   // kernel_for calls answered from the cache
  double compile_ms = 0;     // total time spent compiling
};
Stats stats();  // all zero while the JIT has not been used

}  // namespace seg::rt::jit
