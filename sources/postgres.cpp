// PostgreSQL as a data source (sources/postgres.hpp): libpq's COPY OUT on one thread writes
// the CSV into one end of a socket pair, the CSV loader reads the other end on this thread.
// A socket pair rather than a pipe so that a writer whose reader stopped (a bad row, Ctrl-C)
// gets EPIPE from send(MSG_NOSIGNAL) instead of a SIGPIPE the host never asked for.
// libpq is opened (dlopen) the first time a store is read from PostgreSQL, not linked: linked,
// it and the 20-odd libraries it needs (Kerberos, LDAP, GnuTLS, SASL) cost every process that
// loads libseg.so or runs `seg` about 20 ms and 7 MB at start, PostgreSQL or not (found by a
// review of the library; decision 107 did the same for LLVM).
#include "sources/postgres.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include "runtime/storage/input.hpp"
#include "sql/sql.hpp"

namespace seg::sources {

namespace {

rt::LoadResult failure(const std::string& name, const std::string& message) {
  rt::LoadResult r;
  rt::LoadError e;
  e.code = "E701";
  e.file = name;
  e.message = message;
  r.errors.push_back(std::move(e));
  return r;
}

std::string trimmed(const char* s) {
  std::string out = s ? s : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

// The libpq functions this file calls, from the library opened at the first use.
struct Libpq {
  decltype(&::PQconnectdb) connectdb = nullptr;
  decltype(&::PQstatus) status = nullptr;
  decltype(&::PQerrorMessage) error_message = nullptr;
  decltype(&::PQsetClientEncoding) set_client_encoding = nullptr;
  decltype(&::PQexec) exec = nullptr;
  decltype(&::PQresultStatus) result_status = nullptr;
  decltype(&::PQresultErrorMessage) result_error_message = nullptr;
  decltype(&::PQclear) clear = nullptr;
  decltype(&::PQgetCopyData) get_copy_data = nullptr;
  decltype(&::PQfreemem) freemem = nullptr;
  decltype(&::PQgetResult) get_result = nullptr;
  decltype(&::PQfinish) finish = nullptr;
};

// libpq, or nullptr with `why` set; opened once a process (RTLD_NODELETE: never closed).
const Libpq* libpq(std::string& why) {
  static std::once_flag once;
  static Libpq pq;
  static std::string error;
  std::call_once(once, [] {
    void* h = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
      const char* e = ::dlerror();
      error = fmt::format("libpq could not be opened ({}): install it (Debian: apt install libpq5)", e ? e : "libpq.so.5");
      return;
    }
    auto get = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
      if (!fn && error.empty()) error = fmt::format("libpq.so.5 has no {}", name);
    };
    get(pq.connectdb, "PQconnectdb");
    get(pq.status, "PQstatus");
    get(pq.error_message, "PQerrorMessage");
    get(pq.set_client_encoding, "PQsetClientEncoding");
    get(pq.exec, "PQexec");
    get(pq.result_status, "PQresultStatus");
    get(pq.result_error_message, "PQresultErrorMessage");
    get(pq.clear, "PQclear");
    get(pq.get_copy_data, "PQgetCopyData");
    get(pq.freemem, "PQfreemem");
    get(pq.get_result, "PQgetResult");
    get(pq.finish, "PQfinish");
  });
  why = error;
  return error.empty() ? &pq : nullptr;
}

struct Connection {
  const Libpq& pq;
  PGconn* conn;
  ~Connection() { pq.finish(conn); }
};

}  // namespace

rt::LoadResult load_postgres(const PostgresSource& source, const Schema& schema, const rt::LoadOptions& options,
                             Diagnostics& diags) {
  std::string select = source.query;
  std::string name = "postgres:query";
  if (select.empty()) {
    std::optional<sql::Mapping> mapping = source.mapping_json.empty()
                                              ? sql::default_mapping(schema, sql::Dialect::Postgres)
                                              : sql::parse_mapping(source.mapping_json, schema, sql::Dialect::Postgres, diags);
    if (!mapping) return rt::LoadResult{};
    if (!source.table.empty()) mapping->table = source.table;
    select = sql::read_back_query(schema, *mapping);
    name = "postgres:" + mapping->table;
  }

  std::string no_libpq;
  const Libpq* pq_or_null = libpq(no_libpq);
  if (!pq_or_null) return failure(name, "cannot read from PostgreSQL: " + no_libpq);
  const Libpq& pq = *pq_or_null;
  Connection c{pq, pq.connectdb(source.conninfo.c_str())};
  if (pq.status(c.conn) != CONNECTION_OK)
    return failure(name, "cannot connect to PostgreSQL: " + trimmed(pq.error_message(c.conn)));
  // UTF-8 whatever the server's default, so text arrives as the loader expects it.
  pq.set_client_encoding(c.conn, "UTF8");
  std::string copy = fmt::format("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)", select);
  PGresult* started = pq.exec(c.conn, copy.c_str());
  if (pq.result_status(started) != PGRES_COPY_OUT) {
    std::string why = trimmed(pq.result_error_message(started));
    pq.clear(started);
    return failure(name, "PostgreSQL refused the query: " + why);
  }
  pq.clear(started);

  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return failure(name, std::string("cannot make a socket pair: ") + std::strerror(errno));
  std::string copy_error;
  bool reader_gone = false;  // the writer's own; the loader learns of it from the socket
  std::thread writer([&] {
    // Nothing may leave the thread (std::terminate); what fails is the copy's error.
    try {
      char* buf = nullptr;
      int n;
      while ((n = pq.get_copy_data(c.conn, &buf, 0)) > 0) {
        const char* p = buf;
        size_t left = static_cast<size_t>(n);
        while (left > 0 && !reader_gone) {
          ssize_t w = ::send(fds[1], p, left, MSG_NOSIGNAL);
          if (w < 0 && errno == EINTR) continue;
          if (w < 0) {
            reader_gone = true;  // the loader stopped early; its own error says why
            break;
          }
          p += w;
          left -= static_cast<size_t>(w);
        }
        pq.freemem(buf);
        if (reader_gone) break;
      }
      if (!reader_gone) {
        if (n == -2) {
          copy_error = trimmed(pq.error_message(c.conn));
        } else {
          PGresult* end = pq.get_result(c.conn);
          if (pq.result_status(end) != PGRES_COMMAND_OK) copy_error = trimmed(pq.result_error_message(end));
          pq.clear(end);
        }
      }
    } catch (const std::exception& e) {
      try {
        copy_error = e.what();
      } catch (...) {
      }
      if (copy_error.empty()) copy_error = "out of memory";
    }
    ::close(fds[1]);
  });
  rt::LoadResult result;
  {
    rt::Input in;
    in.adopt(fds[0], name);
    result = rt::load_csv(in, schema, options);
  }  // closes our end: a writer still sending gets EPIPE and stops
  writer.join();
  // A copy cut short must not pass as a smaller table.
  if (!copy_error.empty() && result.ok()) return failure(name, "the copy from PostgreSQL stopped: " + copy_error);
  return result;
}

}  // namespace seg::sources
