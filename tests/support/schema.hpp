// The CRM schema under the short name the compiler's and adapters' tests check rules with.
// One definition for all of them: the test files are compiled in batches (SEG_UNITY_TESTS),
// where a helper each file defined for itself would be defined twice.
#pragma once
#include "schema/schema.hpp"

namespace seg::testing {
inline const Schema& S() { return crm_schema(); }
}  // namespace seg::testing
