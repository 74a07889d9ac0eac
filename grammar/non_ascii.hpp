// E116 for a character outside ASCII outside a string (grammar/non_ascii.cpp).
#pragma once
#include <cstddef>
#include <string_view>

#include "base/diagnostics.hpp"

namespace seg {

// Reports E116 (with its fix, where one edit makes the rule right) for the character that
// starts at byte `i` of rule text `t`, which is valid UTF-8 and outside ASCII.
void diagnose_non_ascii(std::string_view t, size_t i, Diagnostics& diags);

}  // namespace seg
