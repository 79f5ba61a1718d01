// Fuzzes what comes back from Clerk: a 200 body through ParseUser (Clerk
// JSON -> User) and an error body through ClerkErrorToStatus. Each body is
// also decoded by JsonToMessage's fast path and by protobuf's own JSON
// parser: whenever the fast path decodes, protobuf must accept the body and
// give an equal message.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "proto/clerk/userimage/internal/v1/clerk_errors.pb.h"
#include "server/clerk/clerk_client.h"
#include "server/clerk/clerk_error.h"
#include "server/json/json_to_message.h"

namespace {

// Also compared: MessageDifferencer takes -0.0 for 0.0.
std::string DeterministicBytes(const google::protobuf::Message& message) {
  std::string bytes;
  google::protobuf::io::StringOutputStream stream(&bytes);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  message.SerializeToCodedStream(&coded);
  coded.Trim();
  return bytes;
}

template <typename T>
void CompareWithProtobuf(const std::string& json) {
  T fast;
  if (!userimage::TryFastJsonToMessage(json, &fast)) return;
  T reference;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  if (!google::protobuf::util::JsonStringToMessage(json, &reference, options)
           .ok() ||
      !google::protobuf::util::MessageDifferencer::Equals(fast, reference) ||
      DeterministicBytes(fast) != DeterministicBytes(reference)) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  userimage::HttpResponse response;
  response.status = 200;
  response.headers = {{"content-type", "application/json"}};
  response.body.assign(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<clerk::userimage::v1::User> user = userimage::ParseUser(response);
  if (user.ok() && (user->object() != "user" || user->id().empty())) std::abort();
  CompareWithProtobuf<clerk::userimage::v1::User>(response.body);
  CompareWithProtobuf<clerk::userimage::internal::v1::ClerkErrors>(response.body);

  for (int status : {400, 401, 404, 429, 503}) {
    response.status = status;
    absl::Status error = userimage::ClerkErrorToStatus(response, "upload");
    if (error.ok()) std::abort();
    userimage::ClerkTraceId(response);
  }
  return 0;
}
