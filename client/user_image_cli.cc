// Command-line client of clerk.userimage.v1.UserImageService.
//
//   user_image_cli upload --addr=HOST:PORT --user=USER_ID --file=PATH
//       [--filename=NAME] [--content_type=TYPE] [--chunk_size=BYTES]
//       [--timeout=60s]
//   user_image_cli delete --addr=HOST:PORT --user=USER_ID [--timeout=60s]
//
// Prints the updated user as JSON on stdout. Exits 0 on success, 1 when the
// call fails (the error and its details go to stderr) and 2 on usage errors.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <unistd.h>

#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "clerk/userimage/v1/user.pb.h"
#include "client/progress_bar.h"
#include "client/read_file.h"
#include "client/status_printer.h"
#include "client/user_image_client.h"

ABSL_FLAG(std::string, addr, "", "Address of the service, HOST:PORT.");
ABSL_FLAG(std::string, user, "", "Clerk user id, e.g. user_2NNEqL2nrIRdJ...");
ABSL_FLAG(std::string, file, "", "upload: path of the image to upload.");
ABSL_FLAG(std::string, filename, "",
          "upload: file name handed to Clerk (default: base name of --file).");
ABSL_FLAG(std::string, content_type, "",
          "upload: MIME type (default: detected by the server).");
ABSL_FLAG(uint64_t, chunk_size, clerk::userimage::client::kDefaultChunkSize,
          "upload: bytes per stream message.");
ABSL_FLAG(absl::Duration, timeout, absl::Seconds(60),
          "Deadline of the call, e.g. 60s or 2m.");
ABSL_FLAG(std::string, ca_file, "",
          "Use TLS, trusting the CA certificates in this PEM file.");
ABSL_FLAG(std::string, cert_file, "",
          "Client certificate (PEM) for mutual TLS; needs --key_file.");
ABSL_FLAG(std::string, key_file, "", "Private key (PEM) of --cert_file.");
ABSL_FLAG(std::string, token_file, "",
          "File holding a bearer token sent as `authorization: Bearer`.");

namespace clerk::userimage::client {
namespace {

constexpr int kExitError = 1;
constexpr int kExitUsage = 2;
constexpr int kProgressBarWidth = 30;

constexpr absl::string_view kUsage =
    "Sets or removes a Clerk user's profile image.\n"
    "\n"
    "  user_image_cli upload --addr=HOST:PORT --user=USER_ID --file=PATH\n"
    "      [--filename=NAME] [--content_type=TYPE] [--chunk_size=BYTES]\n"
    "      [--timeout=60s]\n"
    "  user_image_cli delete --addr=HOST:PORT --user=USER_ID "
    "[--timeout=60s]\n"
    "\n"
    "Credentials: --ca_file=PEM (TLS), plus --cert_file=PEM --key_file=PEM\n"
    "(mutual TLS), and/or --token_file=PATH (bearer token).\n";

int UsageError(absl::string_view message) {
  std::cerr << "usage error: " << message << "\n\n" << kUsage;
  return kExitUsage;
}

// The part of `path` after its last slash.
std::string BaseName(absl::string_view path) {
  size_t slash = path.rfind('/');
  return std::string(slash == absl::string_view::npos ? path
                                                      : path.substr(slash + 1));
}

int PrintResult(const absl::StatusOr<v1::User>& user) {
  if (!user.ok()) {
    std::cerr << FormatError(user.status());
    return kExitError;
  }
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  options.add_whitespace = true;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(*user, &json, options)
           .ok()) {
    std::cerr << FormatError(
        absl::InternalError("cannot print the returned user as JSON"));
    return kExitError;
  }
  std::cout << absl::StripTrailingAsciiWhitespace(json) << '\n';
  return 0;
}

// What the command line asks for.
struct Command {
  std::string name;  // "upload" or "delete".
  std::string addr;
  std::string user_id;
  std::string file;
  std::string filename;
  std::string content_type;
  uint64_t chunk_size = 0;
  absl::Duration timeout;
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string token_file;
};

// Channel credentials from the TLS flags: plaintext when none is given.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> Credentials(
    const Command& command) {
  if (command.ca_file.empty() && command.cert_file.empty()) {
    return grpc::InsecureChannelCredentials();
  }
  if (command.cert_file.empty() != command.key_file.empty()) {
    return absl::InvalidArgumentError("--cert_file and --key_file go together");
  }
  grpc::SslCredentialsOptions ssl;
  for (auto [path, field] :
       {std::pair{&command.ca_file, &ssl.pem_root_certs},
        std::pair{&command.cert_file, &ssl.pem_cert_chain},
        std::pair{&command.key_file, &ssl.pem_private_key}}) {
    if (path->empty()) continue;
    absl::StatusOr<std::string> pem = ReadFile(*path);
    if (!pem.ok()) return pem.status();
    *field = *std::move(pem);
  }
  return grpc::SslCredentials(ssl);
}

int Upload(UserImageClient& client, const Command& command) {
  absl::StatusOr<std::string> image = ReadFile(command.file);
  if (!image.ok()) {
    std::cerr << FormatError(image.status());
    return kExitError;
  }

  UploadOptions options;
  options.user_id = command.user_id;
  options.filename =
      command.filename.empty() ? BaseName(command.file) : command.filename;
  options.content_type = command.content_type;
  options.chunk_size = command.chunk_size;
  options.timeout = command.timeout;
  bool drew_progress = false;
  if (isatty(STDERR_FILENO)) {
    options.progress = [&drew_progress](uint64_t sent, uint64_t total) {
      std::cerr << '\r' << RenderProgressBar(sent, total, kProgressBarWidth)
                << std::flush;
      drew_progress = true;
    };
  }

  absl::StatusOr<v1::User> user = client.UploadProfileImage(options, *image);
  if (drew_progress) std::cerr << '\n';
  return PrintResult(user);
}

int Run(const Command& command) {
  if (command.name != "upload" && command.name != "delete") {
    return UsageError("unknown subcommand \"" + command.name + "\"");
  }
  if (command.addr.empty()) return UsageError("--addr is required");
  if (command.user_id.empty()) return UsageError("--user is required");
  if (command.name == "upload" && command.file.empty()) {
    return UsageError("--file is required");
  }

  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      Credentials(command);
  if (!credentials.ok()) {
    std::cerr << FormatError(credentials.status());
    return kExitError;
  }
  std::string token;
  if (!command.token_file.empty()) {
    absl::StatusOr<std::string> contents = ReadFile(command.token_file);
    if (!contents.ok()) {
      std::cerr << FormatError(contents.status());
      return kExitError;
    }
    token = std::string(absl::StripAsciiWhitespace(*contents));
  }
  UserImageClient client(grpc::CreateChannel(command.addr, *credentials),
                         token);
  if (command.name == "upload") return Upload(client, command);
  return PrintResult(
      client.DeleteProfileImage(command.user_id, command.timeout));
}

}  // namespace
}  // namespace clerk::userimage::client

int main(int argc, char** argv) {
  using ::clerk::userimage::client::Command;
  using ::clerk::userimage::client::kUsage;
  using ::clerk::userimage::client::UsageError;

  absl::SetProgramUsageMessage(kUsage);
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() < 2) return UsageError("missing subcommand");
  if (args.size() > 2) return UsageError("too many arguments");
  Command command;
  command.name = args[1];
  command.addr = absl::GetFlag(FLAGS_addr);
  command.user_id = absl::GetFlag(FLAGS_user);
  command.file = absl::GetFlag(FLAGS_file);
  command.filename = absl::GetFlag(FLAGS_filename);
  command.content_type = absl::GetFlag(FLAGS_content_type);
  command.chunk_size = absl::GetFlag(FLAGS_chunk_size);
  command.timeout = absl::GetFlag(FLAGS_timeout);
  command.ca_file = absl::GetFlag(FLAGS_ca_file);
  command.cert_file = absl::GetFlag(FLAGS_cert_file);
  command.key_file = absl::GetFlag(FLAGS_key_file);
  command.token_file = absl::GetFlag(FLAGS_token_file);
  return clerk::userimage::client::Run(command);
}
