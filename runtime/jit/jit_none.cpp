// The JIT's stand-in for builds without LLVM 14: every plan runs on the interpreter.
#include "runtime/jit/jit.hpp"

namespace seg::rt::jit {

bool available() { return false; }

std::string why_unavailable() { return "the JIT is not in this build (LLVM 14 was not found when it was configured)"; }

Kernel kernel_for(const std::vector<LeafShape>&, std::string& error) {
  error = why_unavailable();
  return nullptr;
}

Stats stats() { return {}; }

}  // namespace seg::rt::jit
