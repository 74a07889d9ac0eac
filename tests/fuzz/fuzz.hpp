// Shared pieces of the libFuzzer targets (docs/fuzzing.md). Each target file defines its
// entry point with SEG_FUZZ_TARGET(name); tests/fuzz/fuzz_all.cpp includes every target file
// into one fuzzer binary, and tests/limits_data_test.cpp defines SEG_FUZZ_REPLAY and includes
// them too, so every saved crash input (tests/fuzz/regressions/<target>/) and the seed inputs
// are replayed through the very same code by the normal test suite.
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <filesystem>
#include <fstream>
#include <unistd.h>

// Every target is a plain function seg_fuzz_<name>(data, size): fuzz_all.cpp compiles them all
// into one libFuzzer binary that runs the one its name says (seg_fuzz_rule, a link to it, runs
// `rule`), and tests/limits_data_test.cpp replays them (SEG_FUZZ_REPLAY).
#define SEG_FUZZ_TARGET(name) int seg_fuzz_##name(const uint8_t* data, size_t size)

#ifndef SEG_FUZZ_REPLAY
// AddressSanitizer keeps freed memory in a quarantine (256 MB by default) to catch use after
// free; cycling through that much memory made every allocation touch cold pages, and the
// targets ran 2-3 times slower. 16 MB still holds what one input frees (an input allocates well
// under 16 MB and keeps nothing), so a use after free within an input is still caught.
// ASAN_OPTIONS in the environment overrides this (e.g. ASAN_OPTIONS=quarantine_size_mb=256).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }
#endif

namespace seg::fuzz {

// A broken invariant: the fuzzer aborts (libFuzzer saves the input); a replaying test throws.
struct InvariantBroken : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const char* condition, const std::string& detail) {
#ifdef SEG_FUZZ_REPLAY
  throw InvariantBroken(std::string(condition) + "\n" + detail);
#else
  // Bytes outside printable ASCII are shown as \xNN so the report survives any terminal.
  std::string shown;
  for (unsigned char c : detail) {
    if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
      shown += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      shown += buf;
    }
  }
  std::fprintf(stderr, "\n==seg-fuzz== invariant broken: %s\n%s\n", condition, shown.c_str());
  std::fflush(stderr);
  std::abort();
#endif
}

// ---- Sampling: the costly property checks ------------------------------------------------
// To reach deep states a target has to run about a thousand inputs a second under ASan. The
// cheap invariants hold on every input; the costly ones (multi-thread agreement, file-loader
// agreement, snapshot write and reopen, the optimizer's meaning on many rows, more rules per
// input) run on a deterministic sample: the inputs whose hash is 0 modulo `every`. The same
// input always gets the same answer, so a finding reproduces. Replaying (SEG_FUZZ_REPLAY, the
// regression test) and SEG_FUZZ_FULL=1 in the environment run every check on every input.

// FNV-1a over the bytes, then the splitmix64 finalizer so that every bit is mixed.
inline uint64_t input_hash(const uint8_t* data, size_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < size; ++i) h = (h ^ data[i]) * 0x100000001b3ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

// Every check on every input: replaying, or SEG_FUZZ_FULL=1.
inline bool full_checks() {
#ifdef SEG_FUZZ_REPLAY
  return true;
#else
  static const bool full = [] {
    const char* e = std::getenv("SEG_FUZZ_FULL");
    return e && *e && std::strcmp(e, "0") != 0;
  }();
  return full;
#endif
}

// Does this input get the costly checks? About one input in `every`.
inline bool sampled(const uint8_t* data, size_t size, uint64_t every = 8) {
  return full_checks() || input_hash(data, size) % every == 0;
}

// The interpreter target's layout (fuzz_interpreter.cpp; here for the seed writer too).
// An input of the explicit layout: 0xff, a check byte, 17 header bytes.
inline bool explicit_input(const uint8_t* data, size_t size) {
  return size >= 19 && data[0] == 0xff && data[1] == static_cast<uint8_t>(input_hash(data + 2, 17));
}
// A compact input with m == 0xff takes the large table when this holds: one input in 8, by
// bits of the input's hash other than those of sampled().
inline bool large_input(const uint8_t* data, size_t size) { return (input_hash(data, size) >> 16) % 8 == 0; }

// Reads the fuzzer's bytes front to back: small numbers for choices, the rest as text.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : p_(data), n_(size) {}
  size_t left() const { return n_; }
  uint8_t byte() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  uint64_t u64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{byte()} << (8 * i);
    return v;
  }
  std::string_view rest() {
    std::string_view s(reinterpret_cast<const char*>(p_), n_);
    p_ += n_;
    n_ = 0;
    return s;
  }

 private:
  const uint8_t* p_;
  size_t n_;
};

// A private directory for files a target has to write (snapshots), on tmpfs when there is one;
// removed at exit.
inline std::string temp_dir() {
  static const std::string dir = [] {
    std::string base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : std::filesystem::temp_directory_path().string();
    std::string tmpl = base + "/seg-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    static std::string keep = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(keep, ec);
    });
    return tmpl;
  }();
  return dir;
}

// Writes `bytes` to a file in temp_dir() and returns its path (the same name each time).
inline std::string temp_file(std::string_view name, std::string_view bytes) {
  std::string path = temp_dir() + "/" + std::string(name);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) fail("temp_file", "cannot write " + path);
  return path;
}

}  // namespace seg::fuzz

// `detail` is only evaluated when the check fails.
#define SEG_FUZZ_CHECK(cond, detail)                       \
  do {                                                     \
    if (!(cond)) ::seg::fuzz::fail(#cond, (detail));       \
  } while (0)
