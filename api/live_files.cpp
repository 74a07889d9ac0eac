// Files written whole or not at all, and read back: the membership's log records and its
// directory's files (live_impl.hpp).
#include "api/live_impl.hpp"

namespace seg::api::live {

Diagnostic problem(const std::string& code, const std::string& source, const std::string& message,
                   const std::string& suggestion, bool io) {
  Diagnostic d;
  d.subject = Subject::Data;
  d.code = code;
  d.source = source;
  d.message = capped(message);  // base/diagnostics.hpp: what the user wrote, quoted, is cut
  d.suggestion = capped(suggestion);
  d.io = io;
  return d;
}

bool write_all(int fd, const char* p, size_t n) {
  while (n) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::optional<std::string> read_whole(const std::string& path, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = path + ": read error: " + std::strerror(errno);
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

std::optional<std::string> read_range(const std::string& path, uint64_t from, uint64_t size, std::string& error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string out(size, '\0');
  uint64_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(from + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      error = path + (n == 0 ? ": shorter than written" : std::string(": read error: ") + std::strerror(errno));
      ::close(fd);
      return std::nullopt;
    }
    got += static_cast<uint64_t>(n);
  }
  ::close(fd);
  return out;
}

std::optional<LogBytes> LogBytes::open(const std::string& path, std::string& error) {
  auto fd = std::make_shared<Fd>(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (fd->fd < 0 || ::fstat(fd->fd, &st) != 0) {
    error = path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  LogBytes log;
  log.fd_ = std::move(fd);
  log.size_ = static_cast<uint64_t>(st.st_size);
  std::string buf;
  const std::string_view magic = log.read(0, kMagicBytes, buf);
  if (!log.error_.empty() || !is_log(magic)) {
    error = log.error_.empty() ? path + ": not a membership log" : log.error_;
    return std::nullopt;
  }
  log.header_ = header_bytes(magic);
  return log;
}

std::string_view LogBytes::read(uint64_t at, size_t n, std::string& buf) const {
  if (at >= size_) return {};
  n = static_cast<size_t>(std::min<uint64_t>(n, size_ - at));
  if (!fd_) return text_.substr(static_cast<size_t>(at), n);
  buf.resize(n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(fd_->fd, buf.data() + got, n - got, static_cast<off_t>(at + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) error_ = std::string("read error at byte ") + std::to_string(at + got) + ": " + std::strerror(errno);
    if (r <= 0) break;  // the end: cut off since it was opened
    got += static_cast<size_t>(r);
  }
  return std::string_view(buf.data(), got);
}

bool LogBytes::zeros_from(uint64_t at) const {
  std::string buf;
  for (; at < size_; at += 1 << 16) {
    const std::string_view part = read(at, 1 << 16, buf);
    if (part.find_first_not_of('\0') != std::string_view::npos) return false;
    if (part.size() < std::min<uint64_t>(1 << 16, size_ - at)) break;  // cut off since
  }
  return true;
}

bool fsync_path(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

bool write_durably(const std::string& dir, const std::string& name, const std::string& content, std::string& error) {
  std::string tmp = dir + "/." + name + ".tmp", path = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  bool ok = fd >= 0 && write_all(fd, content.data(), content.size()) && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  ok = ok && ::rename(tmp.c_str(), path.c_str()) == 0 && fsync_path(dir);
  if (!ok) error = path + ": cannot be written: " + std::strerror(errno);
  return ok;
}

std::string frame(std::string_view payload, size_t header) {
  std::string out(header, '\0');
  uint64_t size = payload.size(), sum = rt::xxh64(payload.data(), payload.size());
  std::memcpy(out.data(), &size, 8);
  std::memcpy(out.data() + 8, &sum, 8);
  if (header == 24) {
    const uint64_t head = rt::xxh64(out.data(), 16);
    std::memcpy(out.data() + 16, &head, 8);
  }
  return out.append(payload);
}

}  // namespace seg::api::live
