#include "server/service/server_reflection.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "google/protobuf/descriptor.pb.h"

namespace userimage {
namespace {

namespace v1 = ::grpc::reflection::v1;
namespace v1alpha = ::grpc::reflection::v1alpha;

// One stream: every request read is answered before the next is read, so
// exactly one operation is pending at a time and a cancel completes it
// with ok == false, which finishes the stream. Reactions run on gRPC's
// callback threads; the reactor is gRPC's until OnDone().
template <typename Request, typename Response>
class ReflectionReactor final
    : public grpc::ServerBidiReactor<Request, Response> {
 public:
  explicit ReflectionReactor(const ReflectionIndex& index) : index_(index) {
    this->StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the caller is done sending (or gone)
      this->Finish(grpc::Status::OK);
      return;
    }
    index_.Answer(request_, &response_);
    this->StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      this->Finish(grpc::Status(grpc::StatusCode::CANCELLED,
                                "the reflection stream was cut off"));
      return;
    }
    this->StartRead(&request_);
  }

  void OnDone() override { delete this; }

 private:
  const ReflectionIndex& index_;
  Request request_;
  Response response_;
};

absl::Status NotFound(const char* what) { return absl::NotFoundError(what); }

}  // namespace

ReflectionIndex::ReflectionIndex(const google::protobuf::DescriptorPool* pool,
                                 std::vector<std::string> service_names)
    : pool_(pool), service_names_(std::move(service_names)) {}

template <typename Response>
void ReflectionIndex::AddFile(const google::protobuf::FileDescriptor* file,
                              Response* response) const {
  absl::flat_hash_set<const google::protobuf::FileDescriptor*> added;
  std::vector<const google::protobuf::FileDescriptor*> pending = {file};
  auto* files = response->mutable_file_descriptor_response();
  while (!pending.empty()) {
    const google::protobuf::FileDescriptor* next = pending.back();
    pending.pop_back();
    if (!added.insert(next).second) continue;
    google::protobuf::FileDescriptorProto proto;
    next->CopyTo(&proto);
    files->add_file_descriptor_proto(proto.SerializeAsString());
    for (int i = next->dependency_count() - 1; i >= 0; --i) {
      pending.push_back(next->dependency(i));
    }
  }
}

template <typename Request, typename Response>
absl::Status ReflectionIndex::Fill(const Request& request,
                                   Response* response) const {
  using google::protobuf::Descriptor;
  switch (request.message_request_case()) {
    case Request::kFileByFilename: {
      const auto* file = pool_->FindFileByName(request.file_by_filename());
      if (file == nullptr) return NotFound("File not found.");
      AddFile(file, response);
      return absl::OkStatus();
    }
    case Request::kFileContainingSymbol: {
      const auto* file =
          pool_->FindFileContainingSymbol(request.file_containing_symbol());
      if (file == nullptr) return NotFound("Symbol not found.");
      AddFile(file, response);
      return absl::OkStatus();
    }
    case Request::kFileContainingExtension: {
      const auto& wanted = request.file_containing_extension();
      const Descriptor* type =
          pool_->FindMessageTypeByName(wanted.containing_type());
      if (type == nullptr) return NotFound("Type not found.");
      const auto* extension =
          pool_->FindExtensionByNumber(type, wanted.extension_number());
      if (extension == nullptr) return NotFound("Extension not found.");
      AddFile(extension->file(), response);
      return absl::OkStatus();
    }
    case Request::kAllExtensionNumbersOfType: {
      const std::string& name = request.all_extension_numbers_of_type();
      const Descriptor* type = pool_->FindMessageTypeByName(name);
      if (type == nullptr) return NotFound("Type not found.");
      std::vector<const google::protobuf::FieldDescriptor*> extensions;
      pool_->FindAllExtensions(type, &extensions);
      auto* numbers = response->mutable_all_extension_numbers_response();
      numbers->set_base_type_name(name);
      for (const auto* extension : extensions) {
        numbers->add_extension_number(extension->number());
      }
      return absl::OkStatus();
    }
    case Request::kListServices:
      for (const std::string& name : service_names_) {
        response->mutable_list_services_response()->add_service()->set_name(
            name);
      }
      return absl::OkStatus();
    default:
      return absl::UnimplementedError("The request is not supported.");
  }
}

template <typename Request, typename Response>
void ReflectionIndex::Answer(const Request& request, Response* response) const {
  response->Clear();
  response->set_valid_host(request.host());
  *response->mutable_original_request() = request;
  if (const absl::Status status = Fill(request, response); !status.ok()) {
    auto* error = response->mutable_error_response();
    error->set_error_code(static_cast<int>(status.code()));
    error->set_error_message(std::string(status.message()));
  }
}

template void ReflectionIndex::Answer(const v1::ServerReflectionRequest&,
                                      v1::ServerReflectionResponse*) const;
template void ReflectionIndex::Answer(const v1alpha::ServerReflectionRequest&,
                                      v1alpha::ServerReflectionResponse*) const;

grpc::ServerBidiReactor<v1::ServerReflectionRequest,
                        v1::ServerReflectionResponse>*
ReflectionV1Service::ServerReflectionInfo(
    grpc::CallbackServerContext* /*context*/) {
  return new ReflectionReactor<v1::ServerReflectionRequest,
                               v1::ServerReflectionResponse>(index_);
}

grpc::ServerBidiReactor<v1alpha::ServerReflectionRequest,
                        v1alpha::ServerReflectionResponse>*
ReflectionV1alphaService::ServerReflectionInfo(
    grpc::CallbackServerContext* /*context*/) {
  return new ReflectionReactor<v1alpha::ServerReflectionRequest,
                               v1alpha::ServerReflectionResponse>(index_);
}

}  // namespace userimage
