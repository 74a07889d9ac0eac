// Figures for people, written one way by every `seg` command and the REPL: `seg eval` said
// "1 clients (0.00% of 1000000)" where the REPL said "1 client (<0.01% of 1,000,000)" (a review).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace seg::cli {

std::string grouped(uint64_t n);                                              // 1234567 -> "1,234,567"
std::string plural(uint64_t n, std::string_view one, std::string_view many);  // "1 client", "1,024 clients"
std::string share_text(uint64_t count, uint64_t total);                      // "16.7%", "7.98%", "<0.01%", "0%"
std::string ms_text(double ms);                                               // "0.42 ms", "12 ms", "1.20 s"

}  // namespace seg::cli
