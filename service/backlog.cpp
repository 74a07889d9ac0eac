// Raising the accept queue of the service's listening socket. cpp-httplib listens with a
// backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed when Debian built libcpp-httplib): a burst of
// new connections overflowed it, the kernel dropped the handshakes' last packets, and those
// clients waited for SYN-ACK retransmissions, 1, 2 and 4 s later, past cpp-httplib's 5 s
// client timeout for some (docs/service.md). httplib keeps the socket to itself, so it is
// found among this process's descriptors by its port (own_sockets.hpp), and listen() is called on it again:
// Linux takes a second listen() on a listening socket as its new backlog.
#include "service/backlog.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "service/own_sockets.hpp"

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

int raise_listen_backlog(int port) {
  const int s = find_own_socket([&](int fd) { return listen_backlog(fd) >= 0 && bound_port(fd) == port; });
  if (s < 0 || ::listen(s, SOMAXCONN) != 0) return -1;
  return listen_backlog(s);
}

}  // namespace seg::service
