// This process's own sockets, found by what they are bound and connected to: cpp-httplib 0.11
// keeps its sockets to itself, and the service needs two of them (own_sockets.cpp).
#pragma once
#include <httplib.h>

#include <functional>

namespace seg::service {

// The first of this process's descriptors for which `is_it` says yes, -1 when none does.
int find_own_socket(const std::function<bool(int fd)>& is_it);

// The port `fd` is bound to, -1 when it is not an IPv4 or IPv6 socket.
int bound_port(int fd);

// Whether the client of a request has hung up. httplib hands a handler neither its socket nor
// a way to ask, so a long poll whose client had gone held its waiting slot (decision 70) for
// its whole wait: 32 followers that timed out before their wait ended locked every other one
// out with 503 busy for up to 30 s (a review, session 27). The request's connection is found
// once, by its two addresses, and asked whenever the wait wakes.
class ClientWatch {
 public:
  explicit ClientWatch(const httplib::Request& req);
  // The client closed its side (a FIN) or the connection failed. False where the connection
  // was not found (a Unix socket): the wait then runs its course, as before.
  bool gone() const;

 private:
  int fd_ = -1;
};

}  // namespace seg::service
