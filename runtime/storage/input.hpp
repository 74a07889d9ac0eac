// One data input read exactly once: a regular file, a pipe, a FIFO or stdin ("-"). The
// format is detected from a buffered prefix (peek) and the loader goes on reading the same
// descriptor, so nothing piped in is swallowed and a FIFO is opened once.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace seg::rt {

class Input {
 public:
  Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  ~Input();

  // "-" is stdin (read, never closed). False with `error` set when it cannot be opened.
  bool open(const std::string& path, std::string& error);
  // A stream another part of seg writes (a database's rows, through a socket pair): read
  // like a pipe, closed at the end, named `name` in errors ("postgres:clients").
  void adopt(int fd, std::string name);

  // The name errors show: the path, or "<stdin>" for "-".
  const std::string& name() const { return name_; }
  bool regular() const { return regular_; }
  uint64_t size() const { return size_; }  // regular files: their size when opened; else 0

  // Buffers until `n` bytes (or everything up to the end) are held and returns them; the
  // next read() starts with them. Sets `error` (and returns what it has) on a read error.
  std::string_view peek(size_t n, std::string& error);
  // Up to `n` bytes, the peeked ones first; 0 at the end, -1 on a read error (errno set).
  ssize_t read(char* out, size_t n);
  // Regular files only: up to `n` bytes from `offset`, whatever read() has consumed (several
  // threads may read parts of one file at once). 0 at the end, -1 on a read error.
  ssize_t read_at(char* out, size_t n, uint64_t offset) const;

 private:
  int fd_ = -1;
  bool own_ = false;
  bool regular_ = false;
  uint64_t size_ = 0;
  std::string name_;
  std::string head_;
  size_t head_pos_ = 0;
};

}  // namespace seg::rt
