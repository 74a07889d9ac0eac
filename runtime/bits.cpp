// Word-array helpers compiled twice, with and without POPCNT, picked by the loader (ifunc).
#include "runtime/bits.hpp"

namespace seg::rt {

__attribute__((target_clones("popcnt", "default"))) uint64_t popcount_words(const uint64_t* w, size_t n) {
  uint64_t c = 0;
  for (size_t i = 0; i < n; ++i) c += static_cast<uint64_t>(__builtin_popcountll(w[i]));
  return c;
}

}  // namespace seg::rt
