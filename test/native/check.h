// A minimal test harness for the C++ core tests: CHECK records a failure and
// goes on; main() from TEST_MAIN runs every TEST and prints
// "N passed, N failed" (a line CI reads), exiting non-zero on any failure.
#pragma once
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

namespace vstest {

struct Case {
  const char* name;
  std::function<void()> fn;
};

inline std::vector<Case>& cases() {
  static std::vector<Case> all;
  return all;
}
inline int& failures() {
  static int n = 0;
  return n;
}

struct Registrar {
  Registrar(const char* name, std::function<void()> fn) { cases().push_back({name, std::move(fn)}); }
};

inline int run_all(const char* suite) {
  int passed = 0, failed = 0;
  for (const Case& c : cases()) {
    int before = failures();
    c.fn();
    if (failures() == before) {
      passed++;
    } else {
      failed++;
      std::printf("FAIL %s: %s\n", suite, c.name);
    }
  }
  std::printf("%s: %d passed, %d failed\n", suite, passed, failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace vstest

#define VS_CAT2(a, b) a##b
#define VS_CAT(a, b) VS_CAT2(a, b)
#define TEST(name)                                                              \
  static void name();                                                           \
  static vstest::Registrar VS_CAT(registrar_, name)(#name, name);               \
  static void name()
#define CHECK(cond)                                                             \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);   \
      vstest::failures()++;                                                     \
    }                                                                           \
  } while (0)
#define CHECK_EQ(a, b)                                                          \
  do {                                                                          \
    auto va_ = (a);                                                             \
    auto vb_ = (b);                                                             \
    if (!(va_ == vb_)) {                                                        \
      std::printf("  %s:%d: CHECK_EQ(%s, %s) failed: %s vs %s\n", __FILE__, __LINE__, #a, #b, \
                  std::to_string(va_).c_str(), std::to_string(vb_).c_str());    \
      vstest::failures()++;                                                     \
    }                                                                           \
  } while (0)
#define TEST_MAIN(suite) \
  int main() { return vstest::run_all(suite); }
