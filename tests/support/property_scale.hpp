// How many cases a property or differential test runs: SEG_PROPERTY_RULES (10,000 = as written)
// scales them. The sanitizer runs set 2,000, a fifth, to keep CI time in check; long runs set
// more (docs/testing.md).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdlib>

namespace seg::testing {

// `n` cases as written, scaled by SEG_PROPERTY_RULES / 10,000 (at least one, at most 10x).
inline size_t property_scaled(size_t n) {
  const char* e = std::getenv("SEG_PROPERTY_RULES");
  const size_t want = e ? std::strtoull(e, nullptr, 10) : 10000;
  return std::max<size_t>(1, n * std::min<size_t>(want, 100000) / 10000);
}

}  // namespace seg::testing
