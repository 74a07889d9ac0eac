// What the catalog keeps of a compiled rule: one place for the service's saves and edits and
// the REPL's `.save` (a field added to SegmentContent is filled for both; a maintainer's
// review found the two filling it apart). Header-only: the catalog is below the API, and
// both callers hold an api::Rule already.
#pragma once
#include <string>

#include "seg/seg.hpp"
#include "service/catalog.hpp"

namespace seg::service {

inline SegmentContent content_of(const api::Rule& rule, Origin origin, std::string source, std::string title) {
  SegmentContent c;
  c.title = std::move(title);
  c.rule_text = rule.canonical_text();
  c.ir_json = rule.ir_json();
  c.hash = rule.hash();
  c.origin = origin;
  c.source = std::move(source);
  return c;
}

}  // namespace seg::service
