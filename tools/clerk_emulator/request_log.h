#ifndef TOOLS_CLERK_EMULATOR_REQUEST_LOG_H_
#define TOOLS_CLERK_EMULATOR_REQUEST_LOG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace clerk::emulator {

// The `file` part of an upload, described without its bytes.
struct FilePartRecord {
  // Each unset when the part has none, or an empty one.
  std::optional<std::string> filename;
  std::optional<std::string> content_type;
  int64_t size = 0;
  std::string sha256;  // lowercase hex
};

// Builds the record of an uploaded part, hashing `content`.
FilePartRecord DescribeFilePart(absl::string_view filename,
                                absl::string_view content_type,
                                absl::string_view content);

// What the emulator saw of one Backend API request and how it answered.
// Never holds the secret key.
struct RequestRecord {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  // Lower-case names; repeated headers joined with ", ". The Authorization
  // value keeps only its scheme ("Bearer <redacted>").
  std::map<std::string, std::string> headers;
  bool authorization_ok = false;
  // Bytes of the (de-chunked) body; unset when unknown, which is the case
  // for a multipart body sent without a Content-Length.
  std::optional<int64_t> body_size;
  std::optional<std::string> content_length;  // the header, verbatim
  bool chunked = false;                       // Transfer-Encoding: chunked
  int status = 0;                    // 0 when the connection was reset instead
  std::optional<std::string> fault;  // the scripted fault consumed, if any
  std::optional<FilePartRecord> file;
};

// Every Backend API request received, in arrival order. Thread-safe.
class RequestLog {
 public:
  void Append(RequestRecord record);
  void Clear();
  // The log as a JSON array of objects with the RequestRecord field names.
  std::string ToJson() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<RequestRecord> records_ ABSL_GUARDED_BY(mu_);
};

}  // namespace clerk::emulator

#endif  // TOOLS_CLERK_EMULATOR_REQUEST_LOG_H_
