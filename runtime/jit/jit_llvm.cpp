// The JIT with LLVM 14 ORC, built as a module of its own (libseg_jit.so) that jit_module.cpp
// opens when a plan first asks for the JIT: one long-lived LLJIT for the process; a conjunction's shape
// becomes one function that walks the block's selection words and, per word, tests 64 rows of
// each leaf's column as one vector compare whose <64 x i1> result is the word's mask, stopping
// at the first leaf that leaves the word empty (so later columns are not read for it). The
// target is the host CPU (LLJIT's default), so it may use instructions the interpreter's
// baseline build cannot assume.
#include "runtime/jit/jit.hpp"
#include "runtime/jit/jit_module_abi.hpp"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Intrinsics.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Support/raw_ostream.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <unordered_map>

namespace seg::rt::jit {
namespace {

struct State {
  std::unique_ptr<llvm::orc::LLJIT> lljit;
  std::string init_error;
  std::mutex mu;
  std::unordered_map<std::string, Kernel> cache;
  Stats stats;
};

// Created on first use and never destroyed: compiled kernels must outlive every plan that
// holds one, including plans alive during static destruction.
State& state() {
  static State* s = [] {
    auto* st = new State;
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    auto made = llvm::orc::LLJITBuilder().create();
    if (made) st->lljit = std::move(*made);
    else st->init_error = llvm::toString(made.takeError());
    return st;
  }();
  return *s;
}

std::string key_of(const std::vector<LeafShape>& shape) {
  std::string k;
  for (const auto& l : shape) {
    k += l.range ? 'R' : 'I';
    k += static_cast<char>('0' + l.width);
    if (!l.range) k += std::to_string(l.values);
    k += l.negated ? 'n' : 'p';
    k += l.nullable ? 'v' : '-';
  }
  return k;
}

// kernel(i8** cols, i64** valid, i64* params, i64* sel, i16* idx, i64 k) -> i64
void emit(llvm::Module& m, llvm::LLVMContext& ctx, const std::vector<LeafShape>& shape, const std::string& name) {
  llvm::IRBuilder<> b(ctx);
  llvm::Type* i64 = b.getInt64Ty();
  llvm::Type* i8p = b.getInt8PtrTy();
  llvm::Type* i64p = llvm::PointerType::getUnqual(i64);
  llvm::Type* i16 = b.getInt16Ty();
  llvm::Type* i16p = llvm::PointerType::getUnqual(i16);
  auto* fty = llvm::FunctionType::get(
      i64, {llvm::PointerType::getUnqual(i8p), llvm::PointerType::getUnqual(i64p), i64p, i64p, i16p, i64}, false);
  auto* f = llvm::Function::Create(fty, llvm::Function::ExternalLinkage, name, m);
  auto args = f->arg_begin();
  llvm::Value* cols = &*args++;
  llvm::Value* valid = &*args++;
  llvm::Value* params = &*args++;
  llvm::Value* sel = &*args++;
  llvm::Value* idx = &*args++;
  llvm::Value* count = &*args++;

  auto* entry = llvm::BasicBlock::Create(ctx, "entry", f);
  auto* head = llvm::BasicBlock::Create(ctx, "head", f);
  auto* body = llvm::BasicBlock::Create(ctx, "body", f);
  auto* store = llvm::BasicBlock::Create(ctx, "store", f);
  auto* latch = llvm::BasicBlock::Create(ctx, "latch", f);
  auto* exit = llvm::BasicBlock::Create(ctx, "exit", f);

  // Per leaf, outside the loop: its column as a vector pointer, its validity, its literals.
  struct Leaf {
    llvm::Type* vec;
    llvm::Value* col;
    llvm::Value* valid = nullptr;
    std::vector<llvm::Value*> lits;  // splatted
  };
  std::vector<Leaf> leaves;
  b.SetInsertPoint(entry);
  uint64_t p = 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    const LeafShape& s = shape[i];
    Leaf l;
    llvm::Type* elem = b.getIntNTy(8u * s.width);
    l.vec = llvm::FixedVectorType::get(elem, 64);
    llvm::Value* raw = b.CreateLoad(i8p, b.CreateInBoundsGEP(i8p, cols, b.getInt64(i)));
    l.col = b.CreateBitCast(raw, llvm::PointerType::getUnqual(l.vec));
    if (s.nullable) l.valid = b.CreateLoad(i64p, b.CreateInBoundsGEP(i64p, valid, b.getInt64(i)));
    size_t n = s.range ? 2 : s.values;
    for (size_t k = 0; k < n; ++k) {
      llvm::Value* v = b.CreateLoad(i64, b.CreateInBoundsGEP(i64, params, b.getInt64(p++)));
      l.lits.push_back(b.CreateVectorSplat(64, b.CreateTrunc(v, elem)));
    }
    leaves.push_back(l);
  }
  b.CreateBr(head);

  b.SetInsertPoint(head);
  llvm::PHINode* i = b.CreatePHI(i64, 2, "i");
  llvm::PHINode* any = b.CreatePHI(i64, 2, "any");
  i->addIncoming(b.getInt64(0), entry);
  any->addIncoming(b.getInt64(0), entry);
  b.CreateCondBr(b.CreateICmpULT(i, count), body, exit);

  b.SetInsertPoint(body);
  llvm::Value* w = b.CreateZExt(b.CreateLoad(i16, b.CreateInBoundsGEP(i16, idx, i)), i64);
  {
    // Prefetch every leaf's lines of the word kPrefetchAhead entries ahead, when there is one.
    auto* fetch = llvm::BasicBlock::Create(ctx, "prefetch", f);
    auto* words = llvm::BasicBlock::Create(ctx, "word", f);
    llvm::Value* ahead = b.CreateAdd(i, b.getInt64(kPrefetchAhead));
    b.CreateCondBr(b.CreateICmpULT(ahead, count), fetch, words);
    b.SetInsertPoint(fetch);
    llvm::Value* w_ahead = b.CreateZExt(b.CreateLoad(i16, b.CreateInBoundsGEP(i16, idx, ahead)), i64);
    llvm::Function* prefetch = llvm::Intrinsic::getDeclaration(&m, llvm::Intrinsic::prefetch, {i8p});
    for (size_t q = 0; q < shape.size(); ++q) {
      llvm::Value* at = b.CreateBitCast(b.CreateInBoundsGEP(leaves[q].vec, leaves[q].col, w_ahead), i8p);
      for (unsigned line = 0; line < shape[q].width; ++line)
        b.CreateCall(prefetch, {b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), at, 64 * line), b.getInt32(0), b.getInt32(3),
                                b.getInt32(1)});
    }
    b.CreateBr(words);
    b.SetInsertPoint(words);
  }
  llvm::Value* word_ptr = b.CreateInBoundsGEP(i64, sel, w);
  llvm::Value* mask = b.CreateLoad(i64, word_ptr);  // listed words are never empty
  // The store block's mask: 0 from every early exit, the last leaf's result otherwise.
  std::vector<std::pair<llvm::Value*, llvm::BasicBlock*>> into_store;
  for (size_t i = 0; i < leaves.size(); ++i) {
    const LeafShape& s = shape[i];
    const Leaf& l = leaves[i];
    llvm::Value* v = b.CreateAlignedLoad(l.vec, b.CreateInBoundsGEP(l.vec, l.col, w), llvm::Align(64));
    llvm::Value* hit;
    if (s.range) {
      hit = b.CreateICmpULE(b.CreateSub(v, l.lits[0]), l.lits[1]);
    } else {
      hit = b.CreateICmpEQ(v, l.lits[0]);
      for (size_t k = 1; k < l.lits.size(); ++k) hit = b.CreateOr(hit, b.CreateICmpEQ(v, l.lits[k]));
    }
    llvm::Value* bits = b.CreateBitCast(hit, i64);
    if (s.negated) bits = b.CreateNot(bits);
    if (s.nullable) bits = b.CreateAnd(bits, b.CreateLoad(i64, b.CreateInBoundsGEP(i64, l.valid, w)));
    mask = b.CreateAnd(mask, bits);
    if (i + 1 == leaves.size()) {
      into_store.emplace_back(mask, b.GetInsertBlock());
      b.CreateBr(store);
      break;
    }
    // The word is empty: the next leaves' columns are not read for it.
    auto* next = llvm::BasicBlock::Create(ctx, "leaf" + std::to_string(i + 1), f);
    into_store.emplace_back(b.getInt64(0), b.GetInsertBlock());
    b.CreateCondBr(b.CreateICmpEQ(mask, b.getInt64(0)), store, next);
    b.SetInsertPoint(next);
  }

  b.SetInsertPoint(store);
  llvm::PHINode* result = b.CreatePHI(i64, static_cast<unsigned>(into_store.size()), "result");
  for (auto [v, from] : into_store) result->addIncoming(v, from);
  b.CreateStore(result, word_ptr);
  llvm::Value* any_now = b.CreateOr(any, result);
  b.CreateBr(latch);

  b.SetInsertPoint(latch);
  i->addIncoming(b.CreateAdd(i, b.getInt64(1)), latch);
  any->addIncoming(any_now, latch);
  b.CreateBr(head);

  b.SetInsertPoint(exit);
  b.CreateRet(any);
}

void optimize(llvm::Module& m) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder pb;
  pb.registerModuleAnalyses(mam);
  pb.registerCGSCCAnalyses(cam);
  pb.registerFunctionAnalyses(fam);
  pb.registerLoopAnalyses(lam);
  pb.crossRegisterProxies(lam, fam, cam, mam);
  pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(m, mam);
}

Kernel compile_kernel(const std::vector<LeafShape>& shape, std::string& error) {
  State& st = state();
  if (!st.lljit) {
    error = "the JIT could not start: " + st.init_error;
    return nullptr;
  }
  if (shape.empty()) {
    error = "nothing to compile";
    return nullptr;
  }
  for (const auto& l : shape)
    if (!(l.width == 1 || l.width == 2 || l.width == 4 || l.width == 8) || (!l.range && (l.values < 1 || l.values > 8))) {
      error = "a leaf the JIT does not compile";
      return nullptr;
    }
  std::string key = key_of(shape);
  std::lock_guard<std::mutex> lock(st.mu);
  if (auto it = st.cache.find(key); it != st.cache.end()) {
    ++st.stats.cache_hits;
    return it->second;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto ctx = std::make_unique<llvm::LLVMContext>();
  auto mod = std::make_unique<llvm::Module>("seg_kernel", *ctx);
  mod->setDataLayout(st.lljit->getDataLayout());
  mod->setTargetTriple(st.lljit->getTargetTriple().str());
  std::string name = "seg_kernel_" + std::to_string(st.stats.compiled);
  emit(*mod, *ctx, shape, name);
  std::string why;
  llvm::raw_string_ostream os(why);
  if (llvm::verifyModule(*mod, &os)) {
    error = "the JIT made invalid code: " + os.str();
    return nullptr;
  }
  optimize(*mod);
  if (auto e = st.lljit->addIRModule(llvm::orc::ThreadSafeModule(std::move(mod), std::move(ctx)))) {
    error = "the JIT could not add a kernel: " + llvm::toString(std::move(e));
    return nullptr;
  }
  auto sym = st.lljit->lookup(name);
  if (!sym) {
    error = "the JIT could not find its kernel: " + llvm::toString(sym.takeError());
    return nullptr;
  }
  auto k = reinterpret_cast<Kernel>(static_cast<uintptr_t>(sym->getAddress()));
  st.cache.emplace(key, k);
  ++st.stats.compiled;
  st.stats.compile_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  return k;
}

Stats current_stats() {
  State& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  return st.stats;
}

}  // namespace
}  // namespace seg::rt::jit

// What the loader looks up (jit_module_abi.hpp); nothing else of the module is visible.
extern "C" __attribute__((visibility("default"))) int seg_jit_module_abi() { return kSegJitModuleAbi; }

extern "C" __attribute__((visibility("default"))) seg::rt::jit::Kernel seg_jit_module_kernel_for(
    const seg::rt::jit::LeafShape* shape, size_t n, char* error, size_t error_size) {
  std::string why;
  seg::rt::jit::Kernel k = seg::rt::jit::compile_kernel(std::vector<seg::rt::jit::LeafShape>(shape, shape + n), why);
  if (!k && error_size) {
    size_t len = std::min(why.size(), error_size - 1);
    why.copy(error, len);
    error[len] = 0;
  }
  return k;
}

extern "C" __attribute__((visibility("default"))) void seg_jit_module_stats(seg::rt::jit::Stats* out) {
  *out = seg::rt::jit::current_stats();
}
