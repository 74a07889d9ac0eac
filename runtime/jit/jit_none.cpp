// The JIT's stand-in for builds without LLVM 14: every plan runs on the interpreter.
#include "runtime/jit/jit.hpp"

namespace seg::rt::jit {

bool available() { return false; }

Kernel kernel_for(const std::vector<LeafShape>&, std::string& error) {
  error = "this seg was built without LLVM 14 (the JIT is optional: docs/runtime.md)";
  return nullptr;
}

Stats stats() { return {}; }

}  // namespace seg::rt::jit
