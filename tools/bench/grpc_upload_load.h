#ifndef TOOLS_BENCH_GRPC_UPLOAD_LOAD_H_
#define TOOLS_BENCH_GRPC_UPLOAD_LOAD_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "clerk/userimage/v1/user_image_service.grpc.pb.h"
#include "grpcpp/channel.h"
#include "tools/bench/load_plan.h"

namespace clerk::userimage::bench {

// An image ready to stream: its bytes cut into UploadProfileImage chunk
// messages once, plus what the metadata message declares (size and
// SHA-256, as //client:user_image_client sends them by default).
struct PreparedImage {
  size_t size = 0;
  std::string sha256_hex;
  std::vector<v1::UploadProfileImageRequest> chunks;
};

PreparedImage PrepareImage(const std::string& bytes, size_t chunk_bytes);

struct GrpcLoadOptions {
  // Upload i sends images[i % size] to users[i % size]; neither empty.
  std::vector<std::shared_ptr<const PreparedImage>> images;
  std::vector<std::string> users;
  // Deadline of each call, from its scheduled start.
  absl::Duration deadline = absl::Seconds(60);
  // When not empty, sent with every call as `authorization: Bearer <token>`.
  std::string bearer_token;
  // ImageMetadata.priority of every upload.
  v1::Priority priority = v1::PRIORITY_UNSPECIFIED;
};

// Runs `plan` against UserImageService with the gRPC callback API, upload
// i on channels[i % size] (not empty): no thread per upload, so thousands
// can be in flight. Returns once every upload started has returned (each is
// bounded by its deadline). Records carry no CPU figure. Thread-safe (runs
// are independent).
LoadRecords RunGrpcLoad(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels,
    const LoadPlan& plan, const GrpcLoadOptions& options);
// The same on one channel.
LoadRecords RunGrpcLoad(const std::shared_ptr<grpc::Channel>& channel,
                        const LoadPlan& plan, const GrpcLoadOptions& options);

// A connected channel to 127.0.0.1:`port` with a connection of its own
// (gRPC would otherwise share one connection among channels to the same
// address), so uploads spread over several are not held to one
// connection's concurrent-stream limit; UNAVAILABLE after 10 s.
absl::StatusOr<std::shared_ptr<grpc::Channel>> OwnChannel(int port);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_GRPC_UPLOAD_LOAD_H_
