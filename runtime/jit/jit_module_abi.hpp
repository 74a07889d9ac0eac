// The functions libseg_jit.so exports (jit_llvm.cpp) and the loader looks up (jit_module.cpp):
// plain C signatures, so a module and a program of different builds are told apart by the
// version below rather than by a crash.
#pragma once
#include <cstddef>

#include "runtime/jit/jit.hpp"

// Raised whenever a signature below or LeafShape, Kernel or Stats changes.
inline constexpr int kSegJitModuleAbi = 1;

extern "C" {
using SegJitAbi = int (*)();
// The kernel for shape[0..n), or nullptr with a message of at most error_size - 1 bytes.
using SegJitKernelFor = seg::rt::jit::Kernel (*)(const seg::rt::jit::LeafShape* shape, size_t n, char* error,
                                                 size_t error_size);
using SegJitStats = void (*)(seg::rt::jit::Stats* out);
}
