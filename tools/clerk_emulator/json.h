#ifndef TOOLS_CLERK_EMULATOR_JSON_H_
#define TOOLS_CLERK_EMULATOR_JSON_H_

#include <string>

#include "google/protobuf/struct.pb.h"

namespace clerk::emulator {

// Prints JSON values held as protobuf's generic JSON messages, compactly and
// with object keys in sorted order, so equal values always print the same
// text. Integral numbers below 1e15 (e.g. epoch milliseconds) print as
// plain integers.
std::string PrintJson(const google::protobuf::Struct& object);
std::string PrintJson(const google::protobuf::ListValue& list);

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_JSON_H_
