// Which vector kernels run (runtime/exec/kernels_avx512.hpp): AVX-512 where the processor
// has it, unless SEG_SIMD=sse2 (or avx2) or use_avx512(false) says otherwise; BMI2's pext and pdep
// the same way (bmi2(), use_bmi2()), and the AVX2 kernels where AVX-512's do not run (avx2()).
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "runtime/exec/kernels_avx512.hpp"

namespace seg::rt::kernel {
namespace {

// What the processor has: each set's features, all of them.
enum class Set { Avx512, Avx2, Bmi2 };
bool cpu_has(Set set) {
#ifdef SEG_AVX512
  __builtin_cpu_init();
  const bool bmi2 = __builtin_cpu_supports("bmi2");
  switch (set) {
    case Set::Avx512:
      return bmi2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl");
    case Set::Avx2: return bmi2 && __builtin_cpu_supports("avx2");
    case Set::Bmi2: return bmi2;
  }
#endif
  (void)set;
  return false;
}
bool has(Set set) {
  static const bool sets[] = {cpu_has(Set::Avx512), cpu_has(Set::Avx2), cpu_has(Set::Bmi2)};
  return sets[static_cast<int>(set)];
}

// Each set's switch: on where the processor has it, unless SEG_SIMD=sse2 asks for the baseline,
// or SEG_SIMD=avx2 for what a processor without AVX-512 runs (AVX2 and BMI2: the EPYCs whose
// AVX-512 the hypervisor hides), so that one machine measures both.
std::atomic<bool>& switch_of(Set set) {
  static std::atomic<bool> on[3] = {false, false, false};
  static const bool once = [] {
    const char* e = std::getenv("SEG_SIMD");
    const bool baseline = e && std::strcmp(e, "sse2") == 0, no512 = e && std::strcmp(e, "avx2") == 0;
    for (Set s : {Set::Avx512, Set::Avx2, Set::Bmi2})
      on[static_cast<int>(s)] = has(s) && !baseline && !(no512 && s == Set::Avx512);
    return true;
  }();
  (void)once;
  return on[static_cast<int>(set)];
}
bool is_on(Set set) { return switch_of(set).load(std::memory_order_relaxed); }
bool turn(Set set, bool on) {
  switch_of(set).store(on && has(set), std::memory_order_relaxed);
  return is_on(set);
}

}  // namespace

bool avx512_available() { return has(Set::Avx512); }
bool avx512() { return is_on(Set::Avx512); }
bool use_avx512(bool on) { return turn(Set::Avx512, on); }
bool vbmi2() {
#ifdef SEG_AVX512
  static const bool vbmi2 = (__builtin_cpu_init(), __builtin_cpu_supports("avx512vbmi2"));
  return vbmi2 && avx512();
#else
  return false;
#endif
}

bool avx2_available() { return has(Set::Avx2); }
bool avx2_enabled() { return is_on(Set::Avx2); }
bool avx2() { return !avx512() && avx2_enabled(); }
bool use_avx2(bool on) { return turn(Set::Avx2, on); }

bool bmi2_available() { return has(Set::Bmi2); }
bool bmi2() { return is_on(Set::Bmi2); }
bool use_bmi2(bool on) { return turn(Set::Bmi2, on); }

}  // namespace seg::rt::kernel
