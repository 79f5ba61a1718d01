#include "server/redis/redis_connection.h"

#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"
#include "tests/testing/test_ca.h"
#include "tools/support/redis_server.h"

namespace userimage {
namespace {

using Type = RedisReply::Type;

absl::StatusOr<RedisReply> RunOne(const RedisOptions& options,
                                  const std::vector<std::string>& args) {
  auto connection = RedisConnection::Connect(options);
  if (!connection.ok()) return connection.status();
  return (*connection)->Command(args);
}

TEST(RedisConnectionTest, SendsCommandsAndParsesEveryReplyType) {
  auto server = RedisServer::Start().value();
  auto connection = RedisConnection::Connect(server->ClientOptions()).value();
  EXPECT_EQ(connection->Command({"PING"})->str, "PONG");
  EXPECT_EQ(connection->Command({"SET", "k", std::string("a\0b", 3)})->type,
            Type::kStatus);
  auto value = connection->Command({"GET", "k"}).value();
  EXPECT_EQ(value.type, Type::kString);
  EXPECT_EQ(value.str, std::string("a\0b", 3));
  EXPECT_EQ(connection->Command({"GET", "missing"})->type, Type::kNil);
  EXPECT_EQ(connection->Command({"INCRBY", "n", "41"})->integer, 41);
  auto array =
      connection->Command({"EVAL", "return {1, 'two', {3}}", "0"}).value();
  ASSERT_EQ(array.type, Type::kArray);
  ASSERT_EQ(array.elements.size(), 3);
  EXPECT_EQ(array.elements[1].str, "two");
  EXPECT_EQ(array.elements[2].elements[0].integer, 3);
  // An error reply leaves the connection usable.
  auto error = connection->Command({"NOSUCHCOMMAND"}).value();
  EXPECT_EQ(error.type, Type::kError);
  EXPECT_EQ(connection->Command({"PING"})->str, "PONG");
  // A reply larger than one read.
  const std::string big(100'000, 'x');
  ASSERT_TRUE(connection->Command({"SET", "big", big}).ok());
  EXPECT_EQ(connection->Command({"GET", "big"})->str, big);
}

TEST(RedisConnectionTest, AuthenticatesWithPasswordOrAclUser) {
  auto server = RedisServer::Start({.password = "default-pw",
                                    .acl_user = {"user", "svc", "on", ">svc-pw",
                                                 "~*", "+@all"}})
                    .value();
  RedisOptions options = server->ClientOptions();
  EXPECT_EQ(RunOne(options, {"PING"})->str, "PONG");

  options.username = "svc";
  options.password = "svc-pw";
  EXPECT_EQ(RunOne(options, {"ACL", "WHOAMI"})->str, "svc");

  options.password = "wrong";
  absl::Status refused = RunOne(options, {"PING"}).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied) << refused;
  EXPECT_EQ(refused.message().find("wrong"), absl::string_view::npos)
      << "the password must not appear in errors";

  options.username.clear();
  options.password.clear();
  EXPECT_EQ(RunOne(options, {"PING"})->type, Type::kError);  // NOAUTH
}

TEST(RedisConnectionTest, SpeaksTlsAndVerifiesTheServer) {
  ASSERT_TRUE(MakeTestCa("redis-ca").ok());
  ASSERT_TRUE(MakeTestCa("other-ca").ok());
  ASSERT_TRUE(
      MakeTestLeaf("redis-ca", "redis-server", "DNS:redis.test,IP:127.0.0.1")
          .ok());
  ASSERT_TRUE(MakeTestLeaf("redis-ca", "redis-client", "DNS:client").ok());
  auto server =
      RedisServer::Start({.tls = true,
                          .tls_cert_file = TestTempPath("redis-server.pem"),
                          .tls_key_file = TestTempPath("redis-server.key"),
                          .tls_ca_file = TestTempPath("redis-ca.pem")})
          .value();
  RedisOptions options = server->ClientOptions();
  options.tls = true;
  options.tls_ca_file = TestTempPath("redis-ca.pem");
  options.tls_cert_file = TestTempPath("redis-client.pem");
  options.tls_key_file = TestTempPath("redis-client.key");
  EXPECT_EQ(RunOne(options, {"PING"})->str, "PONG");
  options.tls_server_name = "redis.test";
  EXPECT_EQ(RunOne(options, {"PING"})->str, "PONG");

  RedisOptions wrong_name = options;
  wrong_name.tls_server_name = "elsewhere.test";
  absl::Status status = RunOne(wrong_name, {"PING"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_NE(status.message().find("not trusted"), absl::string_view::npos)
      << status;

  RedisOptions wrong_ca = options;
  wrong_ca.tls_ca_file = TestTempPath("other-ca.pem");
  status = RunOne(wrong_ca, {"PING"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;

  RedisOptions no_client_cert = options;
  no_client_cert.tls_cert_file.clear();
  no_client_cert.tls_key_file.clear();
  EXPECT_FALSE(RunOne(no_client_cert, {"PING"}).ok());

  RedisOptions plaintext = options;
  plaintext.tls = false;
  EXPECT_FALSE(RunOne(plaintext, {"PING"}).ok());
}

TEST(RedisConnectionTest, ReportsAServerThatIsGone) {
  auto server = RedisServer::Start().value();
  auto connection = RedisConnection::Connect(server->ClientOptions()).value();
  server->Stop();
  EXPECT_EQ(connection->Command({"PING"}).status().code(),
            absl::StatusCode::kUnavailable);
  absl::Status refused =
      RedisConnection::Connect(server->ClientOptions()).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(refused.message().find(std::to_string(server->port())),
            absl::string_view::npos);
}

TEST(RedisConnectionTest, TimesOutOnAServerThatNeverAnswers) {
  SilentServer silent;
  RedisOptions options;
  options.port = silent.port();
  options.command_timeout = absl::Milliseconds(100);
  auto connection = RedisConnection::Connect(options).value();
  EXPECT_EQ(connection->Command({"PING"}).status().code(),
            absl::StatusCode::kDeadlineExceeded);
  options.password = "pw";  // AUTH is bounded by the connect timeout.
  options.connect_timeout = absl::Milliseconds(100);
  EXPECT_EQ(RedisConnection::Connect(options).status().code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(RedisConnectionTest, ParsesAddresses) {
  RedisOptions options;
  ASSERT_TRUE(ParseRedisAddress("redis.internal:6380", options).ok());
  EXPECT_EQ(options.host, "redis.internal");
  EXPECT_EQ(options.port, 6380);
  ASSERT_TRUE(ParseRedisAddress("[::1]:6379", options).ok());
  EXPECT_EQ(options.host, "::1");
  for (const char* bad : {"redis", "redis:", ":6379", "redis:0", "redis:70000",
                          "::1:6379", "[::1]6379", "redis:port"}) {
    absl::Status status = ParseRedisAddress(bad, options);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << bad;
  }
}

TEST(RedisConnectionTest, RejectsAnIncompleteAddress) {
  RedisOptions options;
  options.host = "";
  EXPECT_EQ(RedisConnection::Connect(options).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace userimage
