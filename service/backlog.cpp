// Raising the accept queue of the service's listening socket. cpp-httplib listens with a
// backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when Debian built libcpp-httplib): a burst of
// new connections overflowed it, the kernel dropped the handshakes' last packets, and those
// clients waited for SYN-ACK retransmissions, 1, 2 and 4 s later, past cpp-httplib's 5 s
// client timeout for some (docs/service.md). httplib keeps the socket to itself, so it is
// found among this process's descriptors by its port, and listen() is called on it again:
// Linux takes a second listen() on a listening socket as its new backlog.
#include "service/backlog.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>

namespace seg::service {

int listen_backlog(int fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) return -1;
  tcp_info info{};
  len = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return -1;
  return static_cast<int>(info.tcpi_sacked);  // a listening socket's queue limit (Linux)
}

namespace {
// The port `fd` is bound to, -1 when it is not an IPv4 or IPv6 socket.
int bound_port(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  return -1;
}
}  // namespace

int raise_listen_backlog(int port) {
  DIR* d = ::opendir("/proc/self/fd");
  if (!d) return -1;
  int found = -1;
  while (const dirent* e = ::readdir(d)) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(d)) continue;
    const int s = static_cast<int>(fd);
    if (listen_backlog(s) < 0 || bound_port(s) != port) continue;
    if (::listen(s, SOMAXCONN) == 0) found = listen_backlog(s);
    break;
  }
  ::closedir(d);
  return found;
}

}  // namespace seg::service
