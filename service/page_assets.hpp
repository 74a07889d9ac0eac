// The Segments page's files (service/page/: HTML, CSS and the bundled script), embedded in
// seg at build time so `seg serve` needs no Node and no files beside it (docs/page.md).
#pragma once
#include <optional>
#include <string_view>

namespace seg::service {

struct PageAsset {
  std::string_view content_type;
  std::string_view body;
  std::string_view etag;  // a hash of the body, quoted as HTTP wants it
};

// The file served at `path` ("/", "/assets/app.js", ...), or nullopt.
std::optional<PageAsset> page_asset(std::string_view path);

}  // namespace seg::service
