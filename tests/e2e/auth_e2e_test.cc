// Who may call: the server with mutual TLS (client certificates from a
// throwaway CA made here with openssl), bearer tokens and a per-RPC
// allow-list. Valid client, no client certificate, a certificate from
// another CA, a wrong identity, a bad token and a good token.

#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "client/user_image_client.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/testing/images.h"
#include "tests/testing/local_deployment.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_ca.h"

namespace userimage {
namespace {

using ::clerk::userimage::client::UploadOptions;
using ::clerk::userimage::client::UserImageClient;

constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";
constexpr char kGoodToken[] = "tok_0123456789abcdefghij";

std::string Read(const std::string& path) {
  return clerk::userimage::client::ReadFile(path).value_or("");
}

void MakeCa(const std::string& name) { ASSERT_TRUE(MakeTestCa(name).ok()); }

void MakeLeaf(const std::string& ca, const std::string& leaf,
              const std::string& san) {
  ASSERT_TRUE(MakeTestLeaf(ca, leaf, san).ok());
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    MakeCa("ca");
    MakeCa("other-ca");
    MakeLeaf("ca", "server", "DNS:localhost,IP:127.0.0.1");
    MakeLeaf("ca", "uploader", "URI:spiffe://test/uploader");
    MakeLeaf("ca", "stranger", "URI:spiffe://test/stranger");
    MakeLeaf("other-ca", "impostor", "URI:spiffe://test/uploader");
    std::ofstream(TestTempPath("tokens")) << "svc-token " << kGoodToken << "\n";
    std::ofstream(TestTempPath("allowlist"))
        << "UploadProfileImage spiffe://test/uploader\n"
        << "* svc-token\n";
    deployment_ = LocalDeployment::Start(
                      {"--tls_cert_file=" + TestTempPath("server.pem"),
                       "--tls_key_file=" + TestTempPath("server.key"),
                       "--tls_client_ca_file=" + TestTempPath("ca.pem"),
                       "--bearer_tokens_file=" + TestTempPath("tokens"),
                       "--caller_allowlist_file=" + TestTempPath("allowlist")})
                      .value()
                      .release();
  }
  static void TearDownTestSuite() { delete deployment_; }

  void SetUp() override { ASSERT_TRUE(deployment_->Control("reset")); }

  // Uploads with a client certificate `leaf` (or none) and a token (or none).
  static absl::Status Upload(const std::string& leaf,
                             const std::string& token) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Read(TestTempPath("ca.pem"));
    if (!leaf.empty()) {
      ssl.pem_cert_chain = Read(TestTempPath(leaf + ".pem"));
      ssl.pem_private_key = Read(TestTempPath(leaf + ".key"));
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    UserImageClient client(
        grpc::CreateCustomChannel(deployment_->server_address(),
                                  grpc::SslCredentials(ssl), args),
        token);
    UploadOptions options;
    options.user_id = kUser;
    options.timeout = absl::Seconds(20);
    return client.UploadProfileImage(options, TestPng(100)).status();
  }

  static int ClerkRequests() { return deployment_->Requests().values_size(); }

  static LocalDeployment* deployment_;
};

LocalDeployment* AuthTest::deployment_ = nullptr;

TEST_F(AuthTest, ValidClientCertificate) {
  absl::Status s = Upload("uploader", "");
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(ClerkRequests(), 1);
}

TEST_F(AuthTest, NoClientCertificateNorToken) {
  absl::Status s = Upload("", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(ClerkRequests(), 0);
}

TEST_F(AuthTest, CertificateFromAnotherCa) {
  // The TLS handshake fails: the call never reaches the service.
  absl::Status s = Upload("impostor", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(ClerkRequests(), 0);
}

TEST_F(AuthTest, IdentityNotOnTheAllowList) {
  absl::Status s = Upload("stranger", "");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_EQ(ClerkRequests(), 0);
}

TEST_F(AuthTest, BadToken) {
  absl::Status s = Upload("", "tok_wrong_wrong_wrong_wrong");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
  EXPECT_EQ(ClerkRequests(), 0);
}

TEST_F(AuthTest, GoodToken) {
  absl::Status s = Upload("", kGoodToken);
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(ClerkRequests(), 1);
}

TEST(InsecureClerkUrlTest, PlainHttpToARemoteHostIsRefused) {
  // The server refuses to start: a key over plain http off the machine.
  auto deployment =
      LocalDeployment::Start({"--clerk_api_url=http://clerk.example.com"});
  EXPECT_FALSE(deployment.ok());
}

}  // namespace
}  // namespace userimage
