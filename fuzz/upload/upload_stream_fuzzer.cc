// Fuzzes the upload stream state machine on wire-format messages: the
// input is a sequence of messages, each a 2-byte big-endian length and that
// many bytes, fed to UploadAssembler::AddSerialized until one fails, then
// Finish(). Checks the invariants a caller relies on.

#include <cstdint>
#include <cstdlib>

#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "server/upload/memory_budget.h"
#include "server/upload/upload_assembler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  constexpr uint64_t kMaxImageBytes = 4096;
  userimage::MemoryBudget budget(3000);  // Smaller than the image limit.
  {
    userimage::UploadAssembler assembler(kMaxImageBytes, budget);
    bool ok = true;
    size_t offset = 0;
    while (ok && offset + 2 <= size) {
      const size_t length = (size_t{data[offset]} << 8) | data[offset + 1];
      offset += 2;
      const size_t n = std::min(length, size - offset);
      google::protobuf::io::ArrayInputStream in(data + offset,
                                                static_cast<int>(n),
                                                /*block_size=*/7);
      ok = assembler.AddSerialized(in, n).ok();
      offset += n;
      if (assembler.received_bytes() > kMaxImageBytes) std::abort();
      if (budget.in_use() > budget.limit()) std::abort();
    }
    if (ok) {
      absl::StatusOr<userimage::AssembledImage> image = assembler.Finish();
      if (image.ok() && (image->bytes->empty() ||
                         image->bytes->size() != assembler.received_bytes() ||
                         image->user_id.empty() || image->filename.empty())) {
        std::abort();
      }
    }
  }
  if (budget.in_use() != 0) std::abort();  // Everything released.
  return 0;
}
