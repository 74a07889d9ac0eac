// A data input opened once, with a peekable prefix (see input.hpp).
#include "runtime/storage/input.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace seg::rt {

Input::~Input() {
  if (own_ && fd_ >= 0) ::close(fd_);
}

bool Input::open(const std::string& path, std::string& error) {
  if (path == "-") {
    fd_ = 0;
    own_ = false;
    name_ = "<stdin>";
  } else {
    // O_NONBLOCK would make a FIFO without a writer read as empty; a plain open waits for
    // the writer, as `cat fifo` does.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      error = "cannot open: " + std::string(std::strerror(errno));
      return false;
    }
    own_ = true;
    name_ = path;
  }
  struct stat st;
  if (::fstat(fd_, &st) != 0) {
    error = "cannot open: " + std::string(std::strerror(errno));
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    error = "cannot open: Is a directory";
    return false;
  }
  regular_ = S_ISREG(st.st_mode);
  size_ = regular_ ? static_cast<uint64_t>(st.st_size) : 0;
  return true;
}

void Input::adopt(int fd, std::string name) {
  fd_ = fd;
  own_ = true;
  regular_ = false;
  size_ = 0;
  name_ = std::move(name);
}

static ssize_t read_retry(int fd, char* out, size_t n) {
  while (true) {
    ssize_t got = ::read(fd, out, n);
    if (got >= 0 || errno != EINTR) return got;
  }
}

std::string_view Input::peek(size_t n, std::string& error) {
  while (head_.size() - head_pos_ < n) {
    char buf[4096];
    ssize_t got = read_retry(fd_, buf, std::min(sizeof buf, n - (head_.size() - head_pos_)));
    if (got < 0) {
      error = "read error: " + std::string(std::strerror(errno));
      break;
    }
    if (got == 0) break;
    head_.append(buf, static_cast<size_t>(got));
  }
  return std::string_view(head_).substr(head_pos_);
}

ssize_t Input::read(char* out, size_t n) {
  if (head_pos_ < head_.size()) {
    size_t k = std::min(n, head_.size() - head_pos_);
    std::memcpy(out, head_.data() + head_pos_, k);
    head_pos_ += k;
    if (head_pos_ == head_.size()) {
      head_.clear();
      head_pos_ = 0;
    }
    return static_cast<ssize_t>(k);
  }
  return read_retry(fd_, out, n);
}

ssize_t Input::read_at(char* out, size_t n, uint64_t offset) const {
  for (;;) {
    ssize_t got = ::pread(fd_, out, n, static_cast<off_t>(offset));
    if (got >= 0 || errno != EINTR) return got;
  }
}

}  // namespace seg::rt
