// `seg convert`: loads CSV or JSON Lines once and writes a binary snapshot (atomically).
#include <fmt/format.h>
#include <sys/stat.h>

#include <chrono>

#include "tools/seg/command.hpp"
#include "tools/seg/common.hpp"
#include "tools/seg/data.hpp"

namespace seg::cli {
namespace cmd_convert {

struct ConvertOptions {
  CommonOptions common;
  DataOptions data;
  std::string out;
  bool no_slices = false;
};

void setup(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "Convert CSV, JSON Lines or a PostgreSQL table into a .seg snapshot");
  cmd->footer(
      "Examples:\n"
      "  seg convert data/clients-1000000.csv -o data/clients-1000000.seg\n"
      "  seg convert examples/clients.jsonl -o /tmp/clients.seg --skip-bad-rows\n"
      "  export-clients | seg convert - -o clients.seg      (- reads stdin; -o - writes stdout)\n"
      "  seg convert --from-postgres 'host=/run/postgresql dbname=crm' --table clients -o clients.seg\n"
      "PostgreSQL: a table read back through the mapping (--mapping, docs/sql.md; default: a column\n"
      "per field), or --query whose columns are the fields as a CSV would hold them; streamed\n"
      "with COPY, rows numbered as CSV lines. Other databases: pipe their CSV export into `seg convert -`.\n"
      "The snapshot is written to a temporary file, synced and renamed over the target, so\n"
      "readers see the old snapshot or the whole new one, never a mix. A schema of your own\n"
      "(--schema FILE): start from the bundled one, which `seg schema` prints.\n"
      "Exit codes: 0 written, 1 bad data, 2 usage or I/O error.");
  auto o = std::make_shared<ConvertOptions>();
  // --data like every other data command; the positional form stays for `seg convert in.csv -o out.seg`.
  auto* input = cmd->add_option("input,--data", o->data.data, "Data file (.csv, .jsonl or .seg; - for stdin)")->type_name("FILE");
  auto* pg = cmd->add_option("--from-postgres", o->data.postgres, "Read the clients from PostgreSQL (a libpq connection string)")
                 ->type_name("CONNINFO")
                 ->excludes(input);
  input->excludes(pg);
  auto* table = cmd->add_option("--table", o->data.table, "With --from-postgres: the table (default: the mapping's, `clients`)")
                    ->needs(pg);
  cmd->add_option("--query", o->data.query, "With --from-postgres: a query whose columns are the fields, instead of a table")
      ->needs(pg)
      ->excludes(table);
  cmd->add_option("--mapping", o->data.mapping, "With --from-postgres: how the table stores each field (docs/sql.md)")
      ->type_name("FILE")
      ->needs(pg);
  cmd->add_option("-o,--output", o->out, "Snapshot to write (- for stdout)")->required()->type_name("FILE");
  cmd->add_flag("--skip-bad-rows", o->data.skip_bad_rows, "Skip rows that do not load (counted and shown)");
  cmd->add_flag("--no-slices", o->no_slices,
                "Keep offsets whole rather than as byte slices, bit planes and arithmetic runs (the layout before snapshot version 3; for A/B runs)");
  add_schema_option(*cmd, o->common);
  cmd->callback([o] {
    if (o->data.data.empty() && o->data.postgres.empty()) {
      fmt::print(stderr, "seg convert: give the data: a file (- for stdin) or --from-postgres CONNINFO\nRun with --help for more information.\n");
      exit_with(2);
    }
    // Writing over the input would replace the data being read (for a snapshot, lose it).
    struct stat in, out;
    if (o->out != "-" && !o->data.data.empty() && o->data.data != "-" && ::stat(o->data.data.c_str(), &in) == 0 &&
        ::stat(o->out.c_str(), &out) == 0 && in.st_dev == out.st_dev && in.st_ino == out.st_ino) {
      fmt::print(stderr, "seg: -o {} is the input file; write the snapshot to another file\n", o->out);
      exit_with(2);
    }
    o->data.slices = !o->no_slices;
    // A snapshot is written as it was made: say so rather than ignore the flag.
    if (!o->data.slices && !o->data.data.empty() && o->data.data != "-" && api::Store::is_snapshot(o->data.data)) {
      fmt::print(stderr, "seg convert: --no-slices applies to rows being loaded (CSV, JSON Lines, PostgreSQL); {} is a "
                         "snapshot, written as it is. Convert its CSV instead.\n", o->data.data);
      exit_with(2);
    }
    auto t0 = std::chrono::steady_clock::now();
    auto store = open_data(o->data, o->common);
    if (!store) return;
    const api::LoadReport& info = store->report();
    double load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto t1 = std::chrono::steady_clock::now();
    std::vector<api::Diagnostic> diags;
    if (!store->write_snapshot(o->out, diags)) {
      fmt::print(stderr, "error[{}]: {}\n", diags[0].code, diags[0].message);
      exit_with(2);
    }
    double write_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    fmt::print(stderr, "{} rows, {:.1f} bytes per client; loaded in {:.2f} s ({:.0f} MB/s), written in {:.2f} s to {}\n",
               store->rows(), store->rows() ? static_cast<double>(store->data_bytes()) / store->rows() : 0.0, load_s,
               info.seconds > 0 ? info.bytes / 1e6 / info.seconds : 0.0, write_s, o->out == "-" ? "<stdout>" : o->out);
  });
}

CommandRegistrar reg(70, setup);
}  // namespace cmd_convert
}  // namespace seg::cli
