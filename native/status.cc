#include "status.h"

namespace vs {

const char* status_symbol(Status s) {
  switch (s) {
#define X(sym, text) \
  case Status::sym:  \
    return #sym;
    VS_STATUS_LIST(X)
#undef X
  }
  return "UNKNOWN";
}

const char* status_text(Status s) {
  switch (s) {
#define X(sym, text) \
  case Status::sym:  \
    return text;
    VS_STATUS_LIST(X)
#undef X
  }
  return "unknown status";
}

}  // namespace vs
