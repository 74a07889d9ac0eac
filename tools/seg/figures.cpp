// Figures for people (figures.hpp).
#include "tools/seg/figures.hpp"

#include <fmt/format.h>

namespace seg::cli {

std::string grouped(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string plural(uint64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", grouped(n), n == 1 ? one : many);
}

std::string share_text(uint64_t count, uint64_t total) {
  if (!total || !count) return "0%";
  double p = 100.0 * static_cast<double>(count) / static_cast<double>(total);
  if (p >= 10) return fmt::format("{:.1f}%", p);
  if (p >= 0.01) return fmt::format("{:.2f}%", p);
  return "<0.01%";
}

std::string ms_text(double ms) {
  if (ms >= 1000) return fmt::format("{:.2f} s", ms / 1000);
  if (ms >= 10) return fmt::format("{:.0f} ms", ms);
  return fmt::format("{:.2f} ms", ms);
}

}  // namespace seg::cli
