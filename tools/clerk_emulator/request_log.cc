#include "tools/clerk_emulator/request_log.h"

#include <openssl/sha.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "google/protobuf/struct.pb.h"
#include "tools/clerk_emulator/json.h"

namespace clerk::emulator {
namespace {

using ::google::protobuf::ListValue;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;

std::optional<std::string> NonEmpty(absl::string_view text) {
  if (text.empty()) return std::nullopt;
  return std::string(text);
}

void SetString(const std::optional<std::string>& text, Value* value) {
  if (text) {
    value->set_string_value(*text);
  } else {
    value->set_null_value(google::protobuf::NULL_VALUE);
  }
}

void SetStrings(const std::map<std::string, std::string>& map, Value* value) {
  auto& fields = *value->mutable_struct_value()->mutable_fields();
  for (const auto& [key, text] : map) fields[key].set_string_value(text);
}

Struct ToStruct(const RequestRecord& record) {
  Struct entry;
  auto& fields = *entry.mutable_fields();
  fields["method"].set_string_value(record.method);
  fields["path"].set_string_value(record.path);
  SetStrings(record.query, &fields["query"]);
  SetStrings(record.headers, &fields["headers"]);
  fields["authorization_ok"].set_bool_value(record.authorization_ok);
  if (record.body_size) {
    fields["body_size"].set_number_value(*record.body_size);
  } else {
    fields["body_size"].set_null_value(google::protobuf::NULL_VALUE);
  }
  SetString(record.content_length, &fields["content_length"]);
  fields["chunked"].set_bool_value(record.chunked);
  fields["status"].set_number_value(record.status);
  SetString(record.fault, &fields["fault"]);
  Value& file = fields["file"];
  if (record.file) {
    auto& file_fields = *file.mutable_struct_value()->mutable_fields();
    SetString(record.file->filename, &file_fields["filename"]);
    SetString(record.file->content_type, &file_fields["content_type"]);
    file_fields["size"].set_number_value(record.file->size);
    file_fields["sha256"].set_string_value(record.file->sha256);
  } else {
    file.set_null_value(google::protobuf::NULL_VALUE);
  }
  return entry;
}

}  // namespace

FilePartRecord DescribeFilePart(absl::string_view filename,
                                absl::string_view content_type,
                                absl::string_view content) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(content.data()), content.size(),
         digest);
  return {NonEmpty(filename), NonEmpty(content_type),
          static_cast<int64_t>(content.size()),
          absl::BytesToHexString(absl::string_view(
              reinterpret_cast<const char*>(digest), sizeof(digest)))};
}

void RequestLog::Append(RequestRecord record) {
  absl::MutexLock lock(&mu_);
  records_.push_back(std::move(record));
}

void RequestLog::Clear() {
  absl::MutexLock lock(&mu_);
  records_.clear();
}

std::string RequestLog::ToJson() const {
  ListValue list;
  {
    absl::MutexLock lock(&mu_);
    for (const RequestRecord& record : records_) {
      *list.add_values()->mutable_struct_value() = ToStruct(record);
    }
  }
  return PrintJson(list);
}

}  // namespace clerk::emulator
