// Parsing Clerk's User JSON into the proto: the server's JsonToMessage
// against protobuf's JsonStringToMessage (the baseline, run alongside), on
// each of the emulator's seed users (2-10 KB). Prints microseconds per parse
// for both, their ratio, JsonToMessage into a message on an arena, and the
// cost of serializing the result once for the gRPC answer.
//
//   bazel run -c opt //tools/bench:user_json_bench -- --iterations=2000

#include <chrono>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "google/protobuf/arena.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "proto/clerk/userimage/v1/user.pb.h"
#include "server/json/json_to_message.h"
#include "tools/clerk_emulator/seed_users.h"

ABSL_FLAG(int, iterations, 2000, "Parses per user and per parser.");
ABSL_FLAG(bool, baseline, true,
          "Also run protobuf's parser (false: JsonToMessage alone, for "
          "profiling it).");

namespace {

using clerk::userimage::v1::User;

template <typename Parse>
double MicrosPerCall(int iterations, Parse parse) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) parse();
  const std::chrono::duration<double, std::micro> elapsed =
      std::chrono::steady_clock::now() - start;
  return elapsed.count() / iterations;
}

std::vector<std::string> SeedUsers() {
  google::protobuf::ListValue users;
  if (!google::protobuf::util::JsonStringToMessage(
           std::string(clerk::emulator::SeedUsersJson()), &users)
           .ok()) {
    return {};
  }
  std::vector<std::string> out;
  for (const auto& user : users.values()) {
    std::string json;
    if (google::protobuf::util::MessageToJsonString(user, &json).ok()) {
      out.push_back(std::move(json));
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int iterations = absl::GetFlag(FLAGS_iterations);
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  std::cout << "user | JSON bytes | protobuf JsonStringToMessage (us) | "
               "JsonToMessage (us) | ratio | JsonToMessage on an arena (us) | "
               "serialize once (us)\n";
  int index = 0;
  for (const std::string& json : SeedUsers()) {
    bool ok = true;
    const double baseline =
        MicrosPerCall(absl::GetFlag(FLAGS_baseline) ? iterations : 1, [&] {
          User user;
          ok &=
              google::protobuf::util::JsonStringToMessage(json, &user, options)
                  .ok();
        });
    const double ours = MicrosPerCall(iterations, [&] {
      User user;
      ok &= userimage::JsonToMessage(json, &user).ok();
    });
    const double on_arena = MicrosPerCall(iterations, [&] {
      google::protobuf::Arena arena;
      User* user = google::protobuf::Arena::CreateMessage<User>(&arena);
      ok &= userimage::JsonToMessage(json, user).ok();
    });
    User user;
    ok &= userimage::TryFastJsonToMessage(json, &user);
    const double serialize = MicrosPerCall(
        iterations, [&] { ok &= !user.SerializeAsString().empty(); });
    if (!ok) {
      std::cerr << "seed user " << index << " did not parse on both paths\n";
      return 1;
    }
    std::cout << absl::StrFormat(
        "%d | %d | %.1f | %.1f | %.1fx | %.1f | %.1f\n", index++, json.size(),
        baseline, ours, baseline / ours, on_arena, serialize);
  }
  return 0;
}
