#include "tools/bench/emulator_control.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/struct.pb.h"
#include "google/protobuf/util/json_util.h"
#include "httplib.h"

namespace clerk::userimage::bench {
namespace {

httplib::Client Connect(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(60, 0);
  return client;
}

}  // namespace

int ClerkLogSummary::Count(int status) const {
  auto it = by_status.find(status);
  return it == by_status.end() ? 0 : it->second;
}

absl::Status ResetEmulator(int port) {
  httplib::Client client = Connect(port);
  httplib::Result response = client.Post("/_emulator/reset");
  if (!response) {
    return absl::UnavailableError(absl::StrCat(
        "POST /_emulator/reset: ", httplib::to_string(response.error())));
  }
  if (response->status != 200) {
    return absl::InternalError(
        absl::StrCat("POST /_emulator/reset answered ", response->status));
  }
  return absl::OkStatus();
}

absl::StatusOr<ClerkLogSummary> ReadClerkLog(int port) {
  httplib::Client client = Connect(port);
  httplib::Result response = client.Get("/_emulator/requests");
  if (!response) {
    return absl::UnavailableError(absl::StrCat(
        "GET /_emulator/requests: ", httplib::to_string(response.error())));
  }
  if (response->status != 200) {
    return absl::InternalError(
        absl::StrCat("GET /_emulator/requests answered ", response->status));
  }
  google::protobuf::Value log;
  if (auto parsed =
          google::protobuf::util::JsonStringToMessage(response->body, &log);
      !parsed.ok() || !log.has_list_value()) {
    return absl::InternalError("GET /_emulator/requests: not a JSON array");
  }
  ClerkLogSummary summary;
  for (const google::protobuf::Value& record : log.list_value().values()) {
    const auto& fields = record.struct_value().fields();
    auto status = fields.find("status");
    if (status == fields.end()) {
      return absl::InternalError("a logged request has no status");
    }
    ++summary.requests;
    ++summary.by_status[static_cast<int>(status->second.number_value())];
  }
  return summary;
}

PeriodicEmulatorReset::PeriodicEmulatorReset(int port, absl::Duration interval)
    : port_(port), interval_(interval) {
  thread_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(interval_)) {
      if (!ResetEmulator(port_).ok()) ++failures_;
    }
  });
}

PeriodicEmulatorReset::~PeriodicEmulatorReset() {
  stop_.Notify();
  thread_.join();
}

int PeriodicEmulatorReset::failures() const { return failures_.load(); }

}  // namespace clerk::userimage::bench
