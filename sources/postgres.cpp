// PostgreSQL as a data source (sources/postgres.hpp): libpq's COPY OUT on one thread writes
// the CSV into one end of a socket pair, the CSV loader reads the other end on this thread.
// A socket pair rather than a pipe so that a writer whose reader stopped (a bad row, Ctrl-C)
// gets EPIPE from send(MSG_NOSIGNAL) instead of a SIGPIPE the host never asked for.
#include "sources/postgres.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
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

struct Connection {
  PGconn* conn;
  ~Connection() { PQfinish(conn); }
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

  Connection c{PQconnectdb(source.conninfo.c_str())};
  if (PQstatus(c.conn) != CONNECTION_OK)
    return failure(name, "cannot connect to PostgreSQL: " + trimmed(PQerrorMessage(c.conn)));
  // UTF-8 whatever the server's default, so text arrives as the loader expects it.
  PQsetClientEncoding(c.conn, "UTF8");
  std::string copy = fmt::format("COPY ({}) TO STDOUT WITH (FORMAT csv, HEADER true)", select);
  PGresult* started = PQexec(c.conn, copy.c_str());
  if (PQresultStatus(started) != PGRES_COPY_OUT) {
    std::string why = trimmed(PQresultErrorMessage(started));
    PQclear(started);
    return failure(name, "PostgreSQL refused the query: " + why);
  }
  PQclear(started);

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
      while ((n = PQgetCopyData(c.conn, &buf, 0)) > 0) {
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
        PQfreemem(buf);
        if (reader_gone) break;
      }
      if (!reader_gone) {
        if (n == -2) {
          copy_error = trimmed(PQerrorMessage(c.conn));
        } else {
          PGresult* end = PQgetResult(c.conn);
          if (PQresultStatus(end) != PGRES_COMMAND_OK) copy_error = trimmed(PQresultErrorMessage(end));
          PQclear(end);
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
