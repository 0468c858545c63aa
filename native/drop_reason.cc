#include "drop_reason.h"

#include <array>
#include <cstddef>

namespace vs {
namespace {

struct Entry {
  const char* symbol;
  const char* text;
};

constexpr Entry kEntries[] = {
#define X(sym, text) {#sym, text},
#include "drop_reasons.def"
#undef X
};

using Names = std::array<std::array<char, 64>, kDropReasonCount>;

Names make_lowercase_names() {
  Names names{};
  for (uint16_t i = 0; i < kDropReasonCount; i++) {
    const char* s = kEntries[i].symbol;
    std::size_t j = 0;
    for (; s[j] && j + 1 < names[i].size(); j++) {
      char c = s[j];
      names[i][j] = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
    names[i][j] = 0;
  }
  return names;
}

}  // namespace

const char* drop_reason_name(uint16_t reason) {
  static const Names names = make_lowercase_names();
  return reason < kDropReasonCount ? names[reason].data() : nullptr;
}

const char* drop_reason_text(uint16_t reason) {
  return reason < kDropReasonCount ? kEntries[reason].text : nullptr;
}

}  // namespace vs
