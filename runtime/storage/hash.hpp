// XXH64 (Yann Collet's xxHash, 64-bit): the snapshot's section checksums, fast enough to
// verify a whole snapshot at memory speed.
#pragma once
#include <cstddef>
#include <cstdint>

namespace seg::rt {

uint64_t xxh64(const void* data, size_t size, uint64_t seed = 0);

}  // namespace seg::rt
