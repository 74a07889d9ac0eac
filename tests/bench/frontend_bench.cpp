// Google Benchmarks of the front end: parse + check (+ lower + optimize) latency of Q1–Q6.
#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "compiler/check.hpp"
#include "compiler/compile.hpp"
#include "grammar/parse.hpp"

namespace {

std::string q2() {
  std::string players;
  for (int i = 0; i < 100; ++i) players += (i ? ", " : "") + std::to_string(1000001 + 97 * i);
  return "stage in (NotProcessed, Ignored, MadeFirstSale, Registration) and tag any (REGISTERED, \"NOT REGISTERED\") "
         "and spot = 3 and player_id in (" + players + ")";
}
std::string q4() {
  std::string tags;
  for (int i = 0; i < 32; ++i) tags += (i ? ", " : "") + std::string(i < 10 ? "T00" : "T0") + std::to_string(i);
  return "tag any (" + tags + ")";
}
const std::vector<std::string>& rules() {
  static const std::vector<std::string> r = {
      "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12",
      q2(),
      "(stage in (Deposit, Active) or deposit_total > 500) and tag all (VIP, \"Top-up\") and tag none (BLOCKED) and "
      "last_active_at >= 2026-10-01 and country in (DE, AT, CH)",
      q4(),
      "not spot = 1 and not tag any (BLOCKED)",
      "registered_at between 2025-01-01 and 2025-12-31 and deposit_total = 0 and stage != Blocked"};
  return r;
}

void BM_ParseCheck(benchmark::State& state) {
  const std::string& text = rules()[static_cast<size_t>(state.range(0))];
  const seg::Schema& schema = seg::crm_schema();
  for (auto _ : state) {
    seg::Diagnostics d;
    auto ast = seg::parse_rule(text, d);
    bool ok = ast && seg::check_rule(*ast, schema, text, d);
    benchmark::DoNotOptimize(ok);
  }
  state.SetLabel(fmt::format("Q{}", state.range(0) + 1));
}
BENCHMARK(BM_ParseCheck)->DenseRange(0, 5)->Unit(benchmark::kMicrosecond);

void BM_Compile(benchmark::State& state) {
  const std::string& text = rules()[static_cast<size_t>(state.range(0))];
  const seg::Schema& schema = seg::crm_schema();
  for (auto _ : state) {
    auto c = seg::compile_rule(text, schema);
    benchmark::DoNotOptimize(c.ir);
  }
  state.SetLabel(fmt::format("Q{} parse+check+lower+optimize", state.range(0) + 1));
}
BENCHMARK(BM_Compile)->DenseRange(0, 5)->Unit(benchmark::kMicrosecond);

void BM_MillionParentheses(benchmark::State& state) {
  std::string text(1000000, '(');
  for (auto _ : state) {
    seg::Diagnostics d;
    benchmark::DoNotOptimize(seg::parse_rule(text, d));
  }
}
BENCHMARK(BM_MillionParentheses)->Unit(benchmark::kMillisecond);

}  // namespace
