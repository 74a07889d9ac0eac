// Which vector kernels run (runtime/exec/kernels_avx512.hpp): AVX-512 where the processor
// has it, unless SEG_SIMD=sse2 or use_avx512(false) says the baseline; BMI2's pext and pdep
// the same way (bmi2(), use_bmi2()), and the AVX2 kernels where AVX-512's do not run (avx2()).
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "runtime/exec/kernels_avx512.hpp"

namespace seg::rt::kernel {
namespace {

bool cpu_has_avx512() {
#ifdef SEG_AVX512
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
         __builtin_cpu_supports("bmi2");
#else
  return false;
#endif
}

std::atomic<bool>& switch_() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("SEG_SIMD");
    return cpu_has_avx512() && !(e && std::strcmp(e, "sse2") == 0);
  }()};
  return on;
}

bool cpu_has_bmi2() {
#ifdef SEG_AVX512
  __builtin_cpu_init();
  return __builtin_cpu_supports("bmi2");
#else
  return false;
#endif
}

std::atomic<bool>& bmi2_switch() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("SEG_SIMD");
    return cpu_has_bmi2() && !(e && std::strcmp(e, "sse2") == 0);
  }()};
  return on;
}

bool cpu_has_avx2() {
#ifdef SEG_AVX512
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2");
#else
  return false;
#endif
}

std::atomic<bool>& avx2_switch() {
  static std::atomic<bool> on{[] {
    const char* e = std::getenv("SEG_SIMD");
    return cpu_has_avx2() && !(e && std::strcmp(e, "sse2") == 0);
  }()};
  return on;
}

}  // namespace

bool avx2_available() {
  static const bool has = cpu_has_avx2();
  return has;
}
bool avx2() { return !avx512() && avx2_enabled(); }
bool avx2_enabled() { return avx2_switch().load(std::memory_order_relaxed); }
bool use_avx2(bool on) {
  avx2_switch().store(on && cpu_has_avx2(), std::memory_order_relaxed);
  return avx2_enabled();
}

bool avx512_available() {
  static const bool has = cpu_has_avx512();
  return has;
}
bool avx512() { return switch_().load(std::memory_order_relaxed); }
bool vbmi2() {
#ifdef SEG_AVX512
  static const bool has = (__builtin_cpu_init(), __builtin_cpu_supports("avx512vbmi2"));
  return has && avx512();
#else
  return false;
#endif
}
bool bmi2_available() {
  static const bool has = cpu_has_bmi2();
  return has;
}
bool bmi2() { return bmi2_switch().load(std::memory_order_relaxed); }
bool use_bmi2(bool on) {
  bmi2_switch().store(on && cpu_has_bmi2(), std::memory_order_relaxed);
  return bmi2();
}

bool use_avx512(bool on) {
  switch_().store(on && cpu_has_avx512(), std::memory_order_relaxed);
  return avx512();
}

}  // namespace seg::rt::kernel
