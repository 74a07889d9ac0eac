// A host program on seg's public C++ API: compile a rule, open data, count and page members.
// Usage: embed DATA_FILE [RULE]
#include <seg/seg.hpp>

#include <cstdio>
#include <string>
#include <variant>

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: embed DATA_FILE [RULE]\n");
    return 2;
  }
  std::string text = argc > 2 ? argv[2] : "stage in (NotProcessed, Registration) and tag any (REGISTERED) and spot = 12";
  std::vector<seg::api::Diagnostic> diags;
  auto store = seg::api::Store::open(argv[1], seg::api::Schema::crm(), diags);
  for (const auto& d : diags) std::fprintf(stderr, "%s\n", seg::api::to_string(d).c_str());
  if (!store) return 1;
  // Compile against the store's schema: it holds the values the data added.
  seg::api::Rule rule = seg::api::Rule::compile(text, store->schema());
  for (const auto& d : rule.diagnostics()) std::fprintf(stderr, "%s\n", seg::api::to_string(d).c_str());
  auto query = seg::api::Query::prepare(rule, *store, diags);
  if (!query) return 1;
  seg::api::Result r = query->count();
  std::printf("%s\n%llu of %llu clients\n", rule.canonical_text().c_str(), static_cast<unsigned long long>(r.count),
              static_cast<unsigned long long>(r.rows_total));
  seg::api::Page page = query->rows(0, 3);
  for (const auto& row : page.rows) {
    const auto* id = std::get_if<int64_t>(&row[0]);
    std::printf("member %lld\n", id ? static_cast<long long>(*id) : -1LL);
  }
  return 0;
}
