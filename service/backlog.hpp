// Raising a listening socket's accept queue after cpp-httplib has made it (backlog.cpp).
#pragma once

namespace seg::service {

// The accept queue this process's TCP socket listening on `port` is raised to (SOMAXCONN,
// clamped by the kernel's net.core.somaxconn), read back from the kernel; -1 when no such
// socket is found or the kernel refuses.
int raise_listen_backlog(int port);

// The accept queue the kernel keeps for listening socket `fd` (TCP_INFO), -1 when it is not one.
int listen_backlog(int fd);

}  // namespace seg::service
