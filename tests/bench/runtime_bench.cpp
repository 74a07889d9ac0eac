// Google Benchmark of the reference rules Q1-Q6 on 1M generated rows (one thread and two),
// plus CSV loading and snapshot opening; `seg bench` reports the same rules with the
// bandwidth bound (docs/performance.md).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>

#include "compiler/compile.hpp"
#include "runtime/exec/evaluate.hpp"
#include "runtime/storage/load.hpp"
#include "runtime/exec/plan.hpp"
#include "runtime/storage/snapshot.hpp"
#include "tools/workload/workload.hpp"

namespace {

using namespace seg;

const rt::Store& store_1m() {
  static const rt::Store s = rt::generate_workload_store(crm_schema(), 1000000);
  return s;
}

void BM_Rule(benchmark::State& state) {
  const rt::Store& s = store_1m();
  const auto& rule = rt::workload_rules()[static_cast<size_t>(state.range(0))];
  Compiled c = compile_rule(rule.text, s.schema());
  if (!c.ir) {
    state.SkipWithError("the rule does not compile");
    return;
  }
  rt::EvalOptions opt;
  opt.threads = static_cast<unsigned>(state.range(1));
  uint64_t count = 0;
  for (auto _ : state) {
    rt::Plan plan = rt::build_plan(*c.ir, s, 0);
    rt::EvalResult r = rt::evaluate(plan, s, opt);
    count = r.count;
    benchmark::DoNotOptimize(r.checksum);
  }
  state.SetLabel(std::string(rule.id) + " count " + std::to_string(count));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * s.rows()));
}
BENCHMARK(BM_Rule)->ArgsProduct({{0, 1, 2, 3, 4, 5}, {1, 2}})->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_LoadCsv(benchmark::State& state) {
  static const std::string csv = [] {
    char* buf = nullptr;
    size_t len = 0;
    std::FILE* f = open_memstream(&buf, &len);
    rt::write_workload_csv(f, 200000, rt::kWorkloadSeed);
    std::fclose(f);
    std::string s(buf, len);
    std::free(buf);
    return s;
  }();
  for (auto _ : state) {
    auto r = rt::load_csv_text(csv, "bench.csv", crm_schema());
    benchmark::DoNotOptimize(r.store->rows());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * csv.size()));
}
BENCHMARK(BM_LoadCsv)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_OpenSnapshot(benchmark::State& state) {
  auto path = (std::filesystem::temp_directory_path() / "seg_bench_1m.seg").string();
  std::string err;
  if (!rt::write_snapshot(store_1m(), path, err)) {
    state.SkipWithError(err.c_str());
    return;
  }
  for (auto _ : state) {
    auto r = rt::open_snapshot(path);
    benchmark::DoNotOptimize(r.store->rows());
  }
  std::filesystem::remove(path);
}
BENCHMARK(BM_OpenSnapshot)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
