// Shared pieces of the libFuzzer targets (docs/fuzzing.md). Each target file defines its
// entry point with SEG_FUZZ_TARGET(name): built as a fuzzer (tests/fuzz/CMakeLists.txt) that is
// LLVMFuzzerTestOneInput; tests/limits_data_test.cpp defines SEG_FUZZ_REPLAY and includes the
// target files, so every saved crash input (tests/fuzz/regressions/<target>/) and the seed
// inputs are replayed through the very same code by the normal test suite.
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

#ifdef SEG_FUZZ_REPLAY
#define SEG_FUZZ_TARGET(name) int seg_fuzz_##name(const uint8_t* data, size_t size)
#else
#define SEG_FUZZ_TARGET(name) extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
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
