// Privacy end to end: a photo carrying EXIF with a GPS position goes to
// Clerk without its metadata, and still decodes to identical pixels
// (ImageMagick's pixel signature); a declared filename with a path is
// reduced to its base name.

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

std::string Read(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

// ImageMagick's signature of the decoded pixels of `image`.
std::string PixelSignature(const std::string& image, const std::string& name) {
  const std::string path = TestTempPath(name);
  std::ofstream(path, std::ios::binary) << image;
  absl::StatusOr<std::string> signature =
      RunCommand(absl::StrCat("identify -format '%#' ", path), "",
                 TestTempPath("identify.log"));
  EXPECT_TRUE(signature.ok()) << signature.status();
  return signature.value_or("");
}

TEST(PrivacyTest, GpsExifIsStrippedAndPixelsAreIdentical) {
  auto deployment = LocalDeployment::Start();
  ASSERT_TRUE(deployment.ok()) << deployment.status();
  UserImageClient client(grpc::CreateChannel(
      (*deployment)->server_address(), grpc::InsecureChannelCredentials()));
  // Each format's EXIF container: JPEG APP1 "Exif", PNG eXIf chunk, WebP
  // EXIF chunk.
  for (const auto& [format, exif] :
       std::vector<std::pair<std::string, std::string>>{
           {"jpg", "Exif"}, {"png", "eXIf"}, {"webp", "EXIF"}}) {
    SCOPED_TRACE(format);
    const std::string photo =
        Read(Runfile(absl::StrCat("tests/image/testdata/photo_gps.", format)));
    ASSERT_FALSE(photo.empty());
    ASSERT_TRUE(absl::StrContains(photo, exif));   // The fixture has EXIF
    ASSERT_TRUE(absl::StrContains(photo, "GPS"));  // with a GPS position.
    UploadOptions options;
    options.user_id = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
    options.filename = absl::StrCat("../../home/me/DCIM/holiday.", format);
    absl::StatusOr<clerk::userimage::v1::User> user =
        client.UploadProfileImage(options, photo);
    ASSERT_TRUE(user.ok()) << user.status();

    const std::string url = user->image_url();
    auto stored =
        (*deployment)->Emulator().Get(url.substr(url.find("/images/")).c_str());
    ASSERT_TRUE(stored);
    EXPECT_LT(stored->body.size(), photo.size());
    EXPECT_FALSE(absl::StrContains(stored->body, exif));
    EXPECT_FALSE(absl::StrContains(stored->body, "GPS"));
    EXPECT_EQ(PixelSignature(stored->body, "stored." + format),
              PixelSignature(photo, "original." + format));

    const google::protobuf::ListValue requests = (*deployment)->Requests();
    const auto& file = requests.values(requests.values_size() - 1)
                           .struct_value()
                           .fields()
                           .at("file")
                           .struct_value()
                           .fields();
    EXPECT_EQ(file.at("filename").string_value(),
              absl::StrCat("holiday.", format));
  }
}

}  // namespace
}  // namespace userimage
