// Finding this process's sockets among its descriptors (/proc/self/fd), and asking a
// request's connection whether its client is still there (own_sockets.hpp).
#include "service/own_sockets.hpp"

#include <dirent.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdlib>
#include <string>

namespace seg::service {

int find_own_socket(const std::function<bool(int fd)>& is_it) {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1;
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(d)) continue;
    if (is_it(static_cast<int>(fd))) {
      found = static_cast<int>(fd);
      break;
    }
  }
  ::closedir(d);
  return found;
}

namespace {
int port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  return -1;
}
// An address as httplib writes Request::remote_addr and local_addr (getnameinfo, numeric).
bool has_address(const sockaddr_storage& a, socklen_t len, int port, const std::string& host) {
  if (port_of(a) != port) return false;
  char text[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&a), len, text, sizeof text, nullptr, 0, NI_NUMERICHOST) != 0)
    return false;
  return host == text;
}
}  // namespace

int bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  return port_of(a);
}

ClientWatch::ClientWatch(const httplib::Request& req) {
  if (req.remote_port < 0 || req.local_port < 0) return;
  // A TCP connection is the one socket with both its addresses.
  fd_ = find_own_socket([&](int fd) {
    sockaddr_storage mine{}, theirs{};
    socklen_t mine_len = sizeof mine, theirs_len = sizeof theirs;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&mine), &mine_len) != 0 || port_of(mine) != req.local_port) return false;
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&theirs), &theirs_len) != 0) return false;
    return has_address(theirs, theirs_len, req.remote_port, req.remote_addr) &&
           has_address(mine, mine_len, req.local_port, req.local_addr);
  });
}

bool ClientWatch::gone() const {
  if (fd_ < 0) return false;
  // The connection is this request's thread's until the handler returns, so the descriptor
  // cannot be another's meanwhile. Bytes waiting (a request sent ahead) are not a hang-up;
  // POLLRDHUP is the peer's FIN.
  pollfd p{fd_, POLLRDHUP, 0};
  if (::poll(&p, 1, 0) <= 0) return false;
  return (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace seg::service
