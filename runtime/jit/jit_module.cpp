// The JIT's loader: the LLVM code is a module of its own (libseg_jit.so, jit_llvm.cpp),
// opened with dlopen the first time a plan asks for the JIT. Linked into every program,
// libLLVM and what it needs cost each process about 65 ms of start-up (80 ms under ASan)
// before main, JIT or not: `seg --version` took 70 ms of CPU, without it 23 (decision 107).
#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/jit/jit.hpp"
#include "runtime/jit/jit_module_abi.hpp"

namespace seg::rt::jit {
namespace {

struct Module {
  SegJitKernelFor kernel_for = nullptr;
  SegJitStats stats = nullptr;
  std::string why_not;  // set when it could not be opened
  bool tried = false;
};

std::mutex g_mu;
Module g_module;

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

// Whether `dir` is `root` or below it, both resolved (symbolic links, `..`).
bool inside(const std::string& dir, const std::string& root) {
  char a[PATH_MAX], b[PATH_MAX];
  if (!::realpath(dir.c_str(), a) || !::realpath(root.c_str(), b)) return false;
  const std::string d = a, r = b;
  return d == r || (d.size() > r.size() && d.compare(0, r.size(), r) == 0 && d[r.size()] == '/');
}

// The file holding this code, as an absolute path: libseg.so where it was loaded from, or the
// program itself (`seg`) as /proc/self/exe names it. For a program dladdr gives argv[0], which
// is only `seg` when it was found through PATH: the module was then looked for relative to the
// current directory, and a `seg/libseg_jit.so` there would have been loaded (found by a review).
std::string file_of_this_code() {
  Dl_info info{};
  link_map* map = nullptr;
  if (!::dladdr1(reinterpret_cast<void*>(&file_of_this_code), &info, reinterpret_cast<void**>(&map), RTLD_DL_LINKMAP))
    return "";
  std::string file = map && map->l_name && *map->l_name ? map->l_name : "";
  if (file.empty()) {  // the program itself: the loader records no name for it
    char exe[PATH_MAX];
    ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return "";
    file.assign(exe, static_cast<size_t>(n));
  }
  char resolved[PATH_MAX];
  return ::realpath(file.c_str(), resolved) ? std::string(resolved) : "";
}

// Where the module may be, first found wins: SEG_JIT_MODULE when set (only there); next to
// the library or program holding this code, as installed (libdir/seg/ beside libseg.so;
// bindir/../libdir/seg/ for `seg`); and, only for code that is itself in the build tree it
// was built in (its tests, `build/seg`), that tree's module. An installed library that looked
// there opened a developer's build from a fixed path when its own module was missing or
// broken, without a word (found by a review): code from a directory the host never chose.
std::vector<std::string> candidates() {
  if (const char* e = std::getenv("SEG_JIT_MODULE"); e && *e) return {e};
  std::vector<std::string> out;
  const std::string file = file_of_this_code();
  if (!file.empty()) {
    std::string here = dir_of(file);
    out.push_back(here + "/seg/" SEG_JIT_MODULE_NAME);
    out.push_back(here + "/../" SEG_JIT_INSTALL_LIBDIR "/seg/" SEG_JIT_MODULE_NAME);
    if (inside(here, SEG_JIT_BUILD_DIR)) out.push_back(SEG_JIT_BUILD_MODULE);
  }
  return out;
}

Module& module() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (g_module.tried) return g_module;
  g_module.tried = true;
  std::string errors;
  for (const auto& path : candidates()) {
    // RTLD_LOCAL: LLVM's symbols stay the module's. RTLD_NODELETE: kernels it compiled are
    // held by plans until the process ends.
    void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (!h) {
      const char* e = ::dlerror();
      if (errors.empty() || ::access(path.c_str(), F_OK) == 0) errors = e ? e : path + ": cannot be opened";
      continue;
    }
    auto abi = reinterpret_cast<SegJitAbi>(::dlsym(h, "seg_jit_module_abi"));
    if (!abi || abi() != kSegJitModuleAbi) {
      errors = path + " is a JIT module of another seg (its interface differs)";
      continue;
    }
    g_module.kernel_for = reinterpret_cast<SegJitKernelFor>(::dlsym(h, "seg_jit_module_kernel_for"));
    g_module.stats = reinterpret_cast<SegJitStats>(::dlsym(h, "seg_jit_module_stats"));
    if (g_module.kernel_for && g_module.stats) return g_module;
    errors = path + " lacks the JIT's functions";
  }
  g_module = Module{};
  g_module.tried = true;
  g_module.why_not = "the JIT module could not be loaded (" + errors + ")";
  return g_module;
}

}  // namespace

bool available() { return module().kernel_for != nullptr; }

std::string why_unavailable() { return module().why_not; }

Kernel kernel_for(const std::vector<LeafShape>& shape, std::string& error) {
  Module& m = module();
  if (!m.kernel_for) {
    error = m.why_not;
    return nullptr;
  }
  char buf[1024] = {0};
  Kernel k = m.kernel_for(shape.data(), shape.size(), buf, sizeof buf);
  if (!k) error = buf;
  return k;
}

Stats stats() {
  SegJitStats read = nullptr;
  {
    std::lock_guard<std::mutex> lock(g_mu);
    read = g_module.stats;  // null until the JIT was used and its module opened: nothing compiled
  }
  Stats s;
  if (read) read(&s);
  return s;
}

}  // namespace seg::rt::jit
