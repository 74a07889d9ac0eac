// A fresh temporary directory for one test, removed with everything in it when it goes out of
// scope, so that a test sees only the files it wrote.
#pragma once
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace seg::testing {

struct TempDir {
  std::filesystem::path path;  // empty when no directory could be made
  explicit TempDir(const std::string& prefix = "seg-test") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (::mkdtemp(tmpl.data())) path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

}  // namespace seg::testing
