// Normalization end to end: an iPhone-like HEIC (4032×3024, EXIF
// orientation 6, a GPS position) and an AVIF, made here with ImageMagick
// and exiftool, reach Clerk as upright JPEGs without metadata, scaled to
// --normalize_max_side_px; damaged input is refused with nothing sent; a
// PNG within the limit passes byte for byte.

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "google/rpc/error_details.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "server/image/image_info.h"
#include "tests/image/test_images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/rpc_details.h"
#include "tests/testing/subprocess.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

std::string Shell(const std::string& command) {
  absl::StatusOr<std::string> out =
      RunCommand(command, "", TestTempPath("commands.log"));
  EXPECT_TRUE(out.ok()) << command << ": " << out.status();
  return out.value_or("");
}

// A photo `width`×`height` as stored (dark left half, light right half)
// with EXIF orientation 6 ("rotate 90° clockwise to show") and a GPS
// position.
std::string MakePhoto(const std::string& name, int width, int height) {
  const std::string path = TestTempPath(name);
  Shell(absl::StrCat("convert -size ", width, "x", height,
                     " xc:white -fill black -draw 'rectangle 0,0 ",
                     width / 2 - 1, ",", height - 1, "' -quality 60 ", path));
  Shell(
      absl::StrCat("exiftool -q -overwrite_original -n -Orientation=6 "
                   "-GPSLatitude=48.8584 -GPSLatitudeRef=N "
                   "-GPSLongitude=2.2945 -GPSLongitudeRef=E ",
                   path));
  return clerk::userimage::client::ReadFile(path).value_or("");
}

// The image Clerk received for the upload that returned `user`.
std::string Received(const LocalDeployment& deployment,
                     const clerk::userimage::v1::User& user) {
  const std::string url = user.image_url();
  auto stored = deployment.Emulator().Get(url.substr(url.find("/images/")));
  EXPECT_TRUE(stored);
  return stored ? stored->body : "";
}

// The mean brightness (0–1) of the top and bottom halves.
std::pair<double, double> TopAndBottom(const std::string& image) {
  const std::string path = TestTempPath("received.img");
  std::ofstream(path, std::ios::binary) << image;
  const std::string top =
      Shell(absl::StrCat("convert ", path,
                         " -gravity north -crop 100%x50%+0+0 -format "
                         "'%[fx:mean]' info:"));
  const std::string bottom =
      Shell(absl::StrCat("convert ", path,
                         " -gravity south -crop 100%x50%+0+0 -format "
                         "'%[fx:mean]' info:"));
  return {std::stod(top), std::stod(bottom)};
}

int PostsToClerk(const LocalDeployment& deployment) {
  int posts = 0;
  const google::protobuf::ListValue requests = deployment.Requests();
  for (const auto& request : requests.values()) {
    if (request.struct_value().fields().at("method").string_value() == "POST") {
      ++posts;
    }
  }
  return posts;
}

class NormalizeE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto deployment = LocalDeployment::Start({"--normalize_max_side_px=1024"});
    ASSERT_TRUE(deployment.ok()) << deployment.status();
    deployment_ = *std::move(deployment);
    client_ = std::make_unique<UserImageClient>(grpc::CreateChannel(
        deployment_->server_address(), grpc::InsecureChannelCredentials()));
  }

  absl::StatusOr<clerk::userimage::v1::User> Upload(const std::string& image,
                                                    const std::string& name) {
    UploadOptions options;
    options.user_id = kUser;
    options.filename = name;
    return client_->UploadProfileImage(options, image);
  }

  std::unique_ptr<LocalDeployment> deployment_;
  std::unique_ptr<UserImageClient> client_;
};

TEST_F(NormalizeE2eTest, IphoneHeicArrivesUprightScaledJpegWithoutMetadata) {
  const std::string heic = MakePhoto("iphone.heic", 4032, 3024);
  ASSERT_TRUE(absl::StrContains(heic, "ftypheic"));
  ASSERT_EQ(
      Shell("exiftool -s3 -n -Orientation " + TestTempPath("iphone.heic")),
      "6\n");
  ASSERT_NE(Shell("exiftool -s3 -GPSLatitude " + TestTempPath("iphone.heic")),
            "");
  absl::StatusOr<clerk::userimage::v1::User> user =
      Upload(heic, "IMG_0001.HEIC");
  ASSERT_TRUE(user.ok()) << user.status();

  const std::string jpeg = Received(*deployment_, *user);
  absl::StatusOr<ImageInfo> info = InspectImage(jpeg);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, ImageType::kJpeg);
  // Turned upright (portrait) and scaled to 1024 on the longer side.
  EXPECT_EQ(info->width, 768);
  EXPECT_EQ(info->height, 1024);
  // The stored left half (dark) is on top once rotated 90° clockwise.
  const auto [top, bottom] = TopAndBottom(jpeg);
  // No EXIF (so neither orientation nor GPS position) is left.
  EXPECT_FALSE(absl::StrContains(jpeg, "Exif"));
  EXPECT_EQ(Shell("exiftool -s3 -GPSLatitude -Orientation " +
                  TestTempPath("received.img")),
            "");
  EXPECT_LT(top, 0.1);
  EXPECT_GT(bottom, 0.9);

  const google::protobuf::ListValue requests = deployment_->Requests();
  const auto& file = requests.values(requests.values_size() - 1)
                         .struct_value()
                         .fields()
                         .at("file")
                         .struct_value()
                         .fields();
  EXPECT_EQ(file.at("content_type").string_value(), "image/jpeg");
  EXPECT_EQ(file.at("filename").string_value(), "IMG_0001.jpg");
}

TEST_F(NormalizeE2eTest, AvifArrivesAsJpeg) {
  const std::string path = TestTempPath("photo.avif");
  Shell("convert -size 640x480 gradient:red-blue -quality 50 " + path);
  absl::StatusOr<clerk::userimage::v1::User> user =
      Upload(clerk::userimage::client::ReadFile(path).value_or(""), "a.avif");
  ASSERT_TRUE(user.ok()) << user.status();
  absl::StatusOr<ImageInfo> info = InspectImage(Received(*deployment_, *user));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, ImageType::kJpeg);
  EXPECT_EQ(info->width, 640);  // Within the limit: not scaled.
  EXPECT_EQ(info->height, 480);
}

TEST_F(NormalizeE2eTest, TruncatedHeicIsRefusedAndNothingIsSent) {
  const std::string heic = MakePhoto("whole.heic", 640, 480);
  const int before = PostsToClerk(*deployment_);
  absl::StatusOr<clerk::userimage::v1::User> user =
      Upload(heic.substr(0, heic.size() * 2 / 3), "cut.heic");
  ASSERT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument)
      << user.status();
  EXPECT_TRUE(absl::StrContains(user.status().message(), "HEIF") ||
              absl::StrContains(user.status().message(), "decoded"))
      << user.status();
  EXPECT_EQ(PostsToClerk(*deployment_), before);
}

TEST_F(NormalizeE2eTest, AHeifDeclaring60000PixelsASideIsRefusedFromItsHeader) {
  const int before = PostsToClerk(*deployment_);
  absl::StatusOr<clerk::userimage::v1::User> user =
      Upload(test_images::HeifHeader(60000, 60000) +
                 test_images::IsoBox("mdat", std::string(1000, '\0')),
             "bomb.heic");
  ASSERT_EQ(user.status().code(), absl::StatusCode::kInvalidArgument)
      << user.status();
  EXPECT_TRUE(absl::StrContains(user.status().message(), "60000"))
      << user.status();
  auto info = RpcDetail<google::rpc::ErrorInfo>(user.status());
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->reason(), "IMAGE_DIMENSIONS");
  EXPECT_EQ(PostsToClerk(*deployment_), before);
}

TEST_F(NormalizeE2eTest, PngWithinTheLimitPassesByteForByte) {
  const std::string path = TestTempPath("small.png");
  Shell("convert -size 300x200 gradient:green-yellow -strip " + path);
  const std::string png = clerk::userimage::client::ReadFile(path).value_or("");
  absl::StatusOr<clerk::userimage::v1::User> user = Upload(png, "s.png");
  ASSERT_TRUE(user.ok()) << user.status();
  EXPECT_EQ(Received(*deployment_, *user), png);
}

TEST_F(NormalizeE2eTest, PngOverTheLimitIsScaledAndStaysPng) {
  const std::string path = TestTempPath("big.png");
  Shell("convert -size 2048x1536 gradient:green-yellow -strip " + path);
  absl::StatusOr<clerk::userimage::v1::User> user =
      Upload(clerk::userimage::client::ReadFile(path).value_or(""), "b.png");
  ASSERT_TRUE(user.ok()) << user.status();
  absl::StatusOr<ImageInfo> info = InspectImage(Received(*deployment_, *user));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->type, ImageType::kPng);
  EXPECT_EQ(info->width, 1024);
  EXPECT_EQ(info->height, 768);
}

}  // namespace
}  // namespace userimage
