// vs::DropReason, generated from drop_reasons.def (the single list).
#pragma once
#include <cstdint>

namespace vs {

enum class DropReason : uint16_t {
#define X(sym, text) sym,
#include "drop_reasons.def"
#undef X
  COUNT_
};

// Lowercase stable name ("truncated_ipv4") and report text, or nullptr when out of range.
const char* drop_reason_name(uint16_t reason);
const char* drop_reason_text(uint16_t reason);
constexpr uint16_t kDropReasonCount = uint16_t(DropReason::COUNT_);

}  // namespace vs
