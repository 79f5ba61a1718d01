#ifndef SERVER_JSON_JSON_TO_MESSAGE_H_
#define SERVER_JSON_JSON_TO_MESSAGE_H_

#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace userimage {

// Parses proto3 JSON into `message` with unknown fields ignored, with
// exactly the result of protobuf's
// `util::JsonStringToMessage(json, message, {ignore_unknown_fields=true})`,
// five to nine times faster for the JSON Clerk answers with
// (tools/bench:user_json_bench).
//
// Why: protobuf 3.21's JSON parser (JsonStreamParser into
// ProtoStreamObjectWriter, then a binary round trip) takes about 1 ms for
// a 10 KB User on this project's machines, two thirds of the server's CPU
// per upload in a burst (docs/benchmarks.md, "The data-path figures").
//
// How: RapidJSON's SAX reader checks the JSON and drives the message's
// reflection directly; every string and key must be valid UTF-8. It covers the
// part of the proto3 JSON mapping Clerk's objects use: string, bool, int32 and
// int64 fields (an int as a plain JSON integer), nested and repeated messages,
// repeated strings, google.protobuf.Struct, null for an unset field, and
// unknown keys skipped whatever they hold; a key names a field by its
// proto name or its JSON name, as in protobuf. Anything outside that (an int
// as a string or as 1e3, an enum, a map, a oneof, a json_name option,
// another well-known type, a field or Struct key given twice, a key without a
// name, a number beyond a double, nesting deeper than 32, JSON protobuf might
// read differently) stops the fast path, and protobuf's own parser decides
// on a cleared message. So the result, and every error, is protobuf's; the
// fast path only ever agrees with it sooner (tests/json and
// fuzz/clerk:clerk_json_fuzzer compare the two).
//
// Replaces what `message` held, as protobuf's parser does. Thread-safe (no
// state).
absl::Status JsonToMessage(const std::string& json,
                           google::protobuf::Message* message);

// The fast path alone: true when `json` was decoded into `message` (which
// must start empty); false when the fast path stopped, leaving `message`
// partly filled for the caller to Clear(). For tests and the fuzz target
// comparing it with protobuf's parser.
bool TryFastJsonToMessage(const std::string& json,
                          google::protobuf::Message* message);

}  // namespace userimage

#endif  // SERVER_JSON_JSON_TO_MESSAGE_H_
