// Status codes returned by core operations. The N-API glue turns a non-OK
// status into a JS error whose `code` is "ERR_VS_" + the symbol (stable).
#pragma once

namespace vs {

#define VS_STATUS_LIST(X)                                             \
  X(OK, "ok")                                                         \
  X(BAD_BATCH, "buffer is not a packet batch of this layout version") \
  X(BATCH_FULL, "batch has no room for another packet")               \
  X(NO_HEADROOM, "packet has too little headroom for the new header")  \
  X(NO_TAILROOM, "packet has too little room to grow")                 \
  X(BAD_ARGUMENT, "invalid argument")                                 \
  X(OUTPUT_FULL, "output batch capacity exceeded")

enum class Status {
#define X(sym, text) sym,
  VS_STATUS_LIST(X)
#undef X
};

const char* status_symbol(Status s);
const char* status_text(Status s);

}  // namespace vs
