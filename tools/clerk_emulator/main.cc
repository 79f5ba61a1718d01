// A local Clerk Backend API emulator; see emulator.h for what it serves.
//
// The accepted secret key comes from --secret_key_file or, failing that,
// the CLERK_SECRET_KEY environment variable. It is never printed.

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tools/clerk_emulator/clock.h"
#include "tools/clerk_emulator/emulator.h"
#include "tools/clerk_emulator/seed_users.h"

ABSL_FLAG(std::string, host, "127.0.0.1", "Address to listen on.");
ABSL_FLAG(int, port, 0, "Port to listen on; 0 lets the OS choose.");
ABSL_FLAG(std::string, port_file, "",
          "If set, the bound port is written to this file once listening.");
ABSL_FLAG(std::string, secret_key_file, "",
          "File holding the accepted Clerk secret key (surrounding "
          "whitespace ignored); default: $CLERK_SECRET_KEY.");
ABSL_FLAG(absl::Duration, latency, absl::ZeroDuration(),
          "Delay added before answering each Backend API request.");
ABSL_FLAG(int, rate_limit, 0,
          "Backend API requests allowed per --rate_window; 0 disables the "
          "limit.");
ABSL_FLAG(absl::Duration, rate_window, absl::Seconds(10),
          "Fixed window of --rate_limit.");
ABSL_FLAG(int64_t, max_image_bytes, 10'000'000,
          "Largest accepted image; larger ones get 413 image_too_large.");
ABSL_FLAG(std::string, public_url, "",
          "Base of returned image URLs; default http://<host>:<port>.");
ABSL_FLAG(int, threads, 64, "HTTP worker threads.");
ABSL_FLAG(int, generated_users, 0,
          "Users besides the seed ones, copies of the first with ids "
          "user_load000000, user_load000001, ... (for load tests).");

namespace clerk::emulator {
namespace {

// Reads the key from `path` if set, else from $CLERK_SECRET_KEY.
absl::StatusOr<std::string> ReadSecretKey(const std::string& path) {
  std::string key;
  if (!path.empty()) {
    std::ifstream file(path);
    if (!file) {
      return absl::NotFoundError(
          absl::StrCat("cannot read --secret_key_file ", path));
    }
    std::stringstream contents;
    contents << file.rdbuf();
    key = contents.str();
  } else if (const char* env = std::getenv("CLERK_SECRET_KEY")) {
    key = env;
  }
  absl::StripAsciiWhitespace(&key);
  if (key.empty()) {
    return absl::InvalidArgumentError(
        "no secret key: set CLERK_SECRET_KEY or --secret_key_file");
  }
  return key;
}

// Writes `port` to `path` via a temporary file and a rename, so readers
// never see a partial number.
absl::Status WritePortFile(const std::string& path, int port) {
  const std::string temporary = absl::StrCat(path, ".tmp.", getpid());
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << port << "\n";
    if (!file.flush()) {
      return absl::UnavailableError(absl::StrCat("cannot write ", temporary));
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    return absl::UnavailableError(absl::StrCat("cannot rename to ", path));
  }
  return absl::OkStatus();
}

// Serves until SIGINT or SIGTERM.
absl::Status Run(EmulatorOptions options, const std::string& secret_key_file,
                 const std::string& port_file) {
  absl::StatusOr<std::string> secret_key = ReadSecretKey(secret_key_file);
  if (!secret_key.ok()) return secret_key.status();
  options.secret_key = *std::move(secret_key);

  absl::StatusOr<std::unique_ptr<Emulator>> emulator =
      Emulator::Create(std::move(options), SeedUsersJson(), &SystemClock());
  if (!emulator.ok()) return emulator.status();

  // Block the stop signals in every thread, then wait for one here.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (absl::Status started = (*emulator)->Start(); !started.ok()) {
    return started;
  }
  if (!port_file.empty()) {
    if (absl::Status written = WritePortFile(port_file, (*emulator)->port());
        !written.ok()) {
      return written;
    }
  }
  std::cout << "clerk emulator listening on " << (*emulator)->base_url()
            << std::endl;

  int signal_number;
  sigwait(&stop_signals, &signal_number);
  (*emulator)->Stop();
  return absl::OkStatus();
}

}  // namespace
}  // namespace clerk::emulator

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  clerk::emulator::EmulatorOptions options;
  options.host = absl::GetFlag(FLAGS_host);
  options.port = absl::GetFlag(FLAGS_port);
  options.latency = absl::GetFlag(FLAGS_latency);
  options.rate_limit = absl::GetFlag(FLAGS_rate_limit);
  options.rate_window = absl::GetFlag(FLAGS_rate_window);
  options.max_image_bytes = absl::GetFlag(FLAGS_max_image_bytes);
  options.public_url = absl::GetFlag(FLAGS_public_url);
  options.threads = absl::GetFlag(FLAGS_threads);
  options.generated_users = absl::GetFlag(FLAGS_generated_users);
  if (absl::Status status = clerk::emulator::Run(
          std::move(options), absl::GetFlag(FLAGS_secret_key_file),
          absl::GetFlag(FLAGS_port_file));
      !status.ok()) {
    std::cerr << "clerk_emulator: " << status << std::endl;
    return 1;
  }
  return 0;
}
