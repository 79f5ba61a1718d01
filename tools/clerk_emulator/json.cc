#include "tools/clerk_emulator/json.h"

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/type_resolver.h"
#include "google/protobuf/util/type_resolver_util.h"

namespace clerk::emulator {
namespace {

constexpr char kTypeUrlPrefix[] = "type.googleapis.com";

// MessageToJsonString prints map entries (a Struct's fields) in hash order,
// which differs between copies of one Struct. Deterministic serialization
// sorts them, and the JSON printer keeps the serialized order.
std::string Print(const google::protobuf::Message& message) {
  std::string binary;
  {
    google::protobuf::io::StringOutputStream stream(&binary);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  static google::protobuf::util::TypeResolver* const resolver =
      google::protobuf::util::NewTypeResolverForDescriptorPool(
          kTypeUrlPrefix, google::protobuf::DescriptorPool::generated_pool());
  std::string json;
  // Any Struct or ListValue prints (even NaN, as the string "NaN").
  google::protobuf::util::BinaryToJsonString(
      resolver,
      absl::StrCat(kTypeUrlPrefix, "/", message.GetDescriptor()->full_name()),
      binary, &json);
  return json;
}

}  // namespace

std::string PrintJson(const google::protobuf::Struct& object) {
  return Print(object);
}

std::string PrintJson(const google::protobuf::ListValue& list) {
  return Print(list);
}

}  // namespace clerk::emulator
