// Checks that user.proto mirrors Clerk's User schema completely: every
// property of every schema in testdata/clerk_user_schema.json (extracted from
// Clerk's OpenAPI spec, bapi/2026-05-12.yml) is a field of the matching
// message, with presence where Clerk allows null.

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "clerk/userimage/internal/v1/clerk_errors.pb.h"
#include "clerk/userimage/v1/user.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

using ::google::protobuf::DescriptorPool;
using ::google::protobuf::FieldDescriptor;

google::protobuf::Struct LoadSchema() {
  std::ifstream in(
      std::string(std::getenv("TEST_SRCDIR")) +
      "/clerk_user_image/tests/clerk/testdata/clerk_user_schema.json");
  std::stringstream text;
  text << in.rdbuf();
  google::protobuf::Struct schema;
  EXPECT_TRUE(
      google::protobuf::util::JsonStringToMessage(text.str(), &schema).ok());
  return schema;
}

TEST(UserSchemaTest, EveryClerkFieldHasAProtoField) {
  // Link the generated descriptors.
  ASSERT_NE(clerk::userimage::v1::User::descriptor(), nullptr);
  ASSERT_NE(clerk::userimage::internal::v1::ClerkErrors::descriptor(), nullptr);
  google::protobuf::Struct schema = LoadSchema();
  const auto& schemas = schema.fields().at("schemas").list_value().values();
  ASSERT_GE(schemas.size(), 20);
  int checked = 0;
  for (const auto& entry : schemas) {
    const auto& s = entry.struct_value().fields();
    // Unqualified names are in the API's package.
    std::string message = s.at("message").string_value();
    if (message.find('.') == std::string::npos) {
      message = "clerk.userimage.v1." + message;
    }
    const auto* descriptor =
        DescriptorPool::generated_pool()->FindMessageTypeByName(message);
    ASSERT_NE(descriptor, nullptr) << message;
    for (const auto& f : s.at("fields").list_value().values()) {
      const std::string name =
          f.struct_value().fields().at("name").string_value();
      const FieldDescriptor* field = descriptor->FindFieldByName(name);
      ASSERT_NE(field, nullptr) << s.at("schema").string_value() << "." << name
                                << " has no field in " << message;
      if (f.struct_value().fields().at("nullable").bool_value() &&
          !field->is_repeated()) {
        EXPECT_TRUE(field->has_presence())
            << message << "." << name << " is nullable in Clerk's schema";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 250);
}

}  // namespace
}  // namespace userimage
