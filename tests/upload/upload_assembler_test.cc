#include "server/upload/upload_assembler.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/rpc/error_details.pb.h"
#include "gtest/gtest.h"
#include "openssl/sha.h"
#include "server/status/status_details.h"
#include "tests/image/test_images.h"
#include "tests/testing/images.h"

namespace userimage {
namespace {

using ::clerk::userimage::v1::ImageMetadata;
using ::clerk::userimage::v1::UploadProfileImageRequest;

// A 1x1 PNG (70 bytes) and its SHA-256, as in Clerk's SDK captures.
const std::string kPng = TestPng(70);
constexpr char kUser[] = "user_2NNEqL2nrIRdJ194ndJqAHwEfxC";

UploadProfileImageRequest Meta(ImageMetadata m) {
  UploadProfileImageRequest r;
  *r.mutable_metadata() = std::move(m);
  return r;
}

ImageMetadata BasicMeta() {
  ImageMetadata m;
  m.set_user_id(kUser);
  m.set_filename("avatar.png");
  m.set_content_type("image/png");
  return m;
}

UploadProfileImageRequest Chunk(std::string bytes) {
  UploadProfileImageRequest r;
  r.set_chunk(std::move(bytes));
  return r;
}

std::string Sha256Hex(const std::string& data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(),
         digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

std::string ReasonOf(const absl::Status& s) {
  auto info = GetDetail<google::rpc::ErrorInfo>(s);
  return info ? info->reason() : "";
}

class UploadAssemblerTest : public ::testing::Test {
 protected:
  MemoryBudget budget_{1 << 20};
};

// Feeds `message` in its wire form, handed out in 7-byte buffers as a
// stream of gRPC slices would be.
absl::Status AddWire(UploadAssembler& a,
                     const UploadProfileImageRequest& message) {
  const std::string wire = message.SerializeAsString();
  google::protobuf::io::ArrayInputStream whole(
      wire.data(), static_cast<int>(wire.size()), 7);
  return a.AddSerialized(whole, wire.size());
}

TEST_F(UploadAssemblerTest, AssemblesChunksInOrder) {
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(BasicMeta())).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(0, 10))).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(10, 50))).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(60))).ok());
  EXPECT_EQ(a.received_bytes(), kPng.size());
  absl::StatusOr<AssembledImage> image = a.Finish();
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->user_id, kUser);
  EXPECT_EQ(image->filename, "avatar.png");
  EXPECT_EQ(image->content_type, "image/png");
  EXPECT_EQ(*image->bytes, kPng);
}

TEST_F(UploadAssemblerTest, DetectsTypeAndNamesFileWhenNotGiven) {
  UploadAssembler a(1000, budget_);
  ImageMetadata m;
  m.set_user_id(kUser);
  ASSERT_TRUE(a.Add(Meta(m)).ok());
  // A 1x1 GIF: header, screen descriptor, one image, trailer.
  ASSERT_TRUE(a.Add(Chunk(std::string("GIF89a\x01\x00\x01\x00\x00\x00\x00"
                                      "\x2C\x00\x00\x00\x00\x01\x00\x01\x00\x00"
                                      "\x02\x02\x44\x01\x00\x3B",
                                      29)))
                  .ok());
  absl::StatusOr<AssembledImage> image = a.Finish();
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->content_type, "image/gif");
  EXPECT_EQ(image->filename, "image.gif");
}

TEST_F(UploadAssemblerTest, AcceptsMatchingSizeAndDigest) {
  ImageMetadata m = BasicMeta();
  m.set_total_size(kPng.size());
  m.set_sha256(Sha256Hex(kPng));
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(m)).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(0, 33))).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(33))).ok());
  absl::StatusOr<AssembledImage> image = a.Finish();
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(*image->bytes, kPng);
}

TEST_F(UploadAssemblerTest, RejectsDigestMismatch) {
  ImageMetadata m = BasicMeta();
  m.set_sha256(
      "cc40a5cde7ad9d6ba5ab3b8b1a8d8e7f36cf7dfef5bc0d57c8ae20e2c2ed4d3c");
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(m)).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng)).ok());
  absl::StatusOr<AssembledImage> image = a.Finish();
  EXPECT_EQ(image.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(image.status()), "DIGEST_MISMATCH");
}

TEST_F(UploadAssemblerTest, RejectsChunkBeforeMetadata) {
  UploadAssembler a(1000, budget_);
  absl::Status s = a.Add(Chunk(kPng));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "METADATA_NOT_FIRST");
}

TEST_F(UploadAssemblerTest, RejectsDuplicateMetadataAndEmptyMessages) {
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(BasicMeta())).ok());
  EXPECT_EQ(ReasonOf(a.Add(Meta(BasicMeta()))), "DUPLICATE_METADATA");
  UploadAssembler b(1000, budget_);
  EXPECT_EQ(ReasonOf(b.Add(UploadProfileImageRequest())), "EMPTY_MESSAGE");
}

TEST_F(UploadAssemblerTest, RejectsEmptyStreamAndEmptyImage) {
  UploadAssembler a(1000, budget_);
  EXPECT_EQ(ReasonOf(a.Finish().status()), "MISSING_METADATA");
  UploadAssembler b(1000, budget_);
  ASSERT_TRUE(b.Add(Meta(BasicMeta())).ok());
  ASSERT_TRUE(b.Add(Chunk("")).ok());
  EXPECT_EQ(ReasonOf(b.Finish().status()), "EMPTY_IMAGE");
}

TEST_F(UploadAssemblerTest, RejectsBadUserId) {
  ImageMetadata m = BasicMeta();
  m.set_user_id("");
  UploadAssembler a(1000, budget_);
  EXPECT_EQ(ReasonOf(a.Add(Meta(m))), "MISSING_USER_ID");
  m.set_user_id("user_../../admin");
  UploadAssembler b(1000, budget_);
  EXPECT_EQ(ReasonOf(b.Add(Meta(m))), "INVALID_USER_ID");
}

TEST_F(UploadAssemblerTest, EnforcesSizeLimitWhileStreaming) {
  UploadAssembler a(100, budget_);
  ASSERT_TRUE(a.Add(Meta(BasicMeta())).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng)).ok());                 // 70 bytes
  absl::Status s = a.Add(Chunk(std::string(31, 'y')));  // 101 > 100
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "IMAGE_TOO_LARGE");
  EXPECT_NE(s.message().find("100 bytes"), absl::string_view::npos);
}

TEST_F(UploadAssemblerTest, RefusesDeclaredSizeOverLimitUpFront) {
  ImageMetadata m = BasicMeta();
  m.set_total_size(101);
  UploadAssembler a(100, budget_);
  absl::Status s = a.Add(Meta(m));
  EXPECT_EQ(ReasonOf(s), "IMAGE_TOO_LARGE");
  auto bad = GetDetail<google::rpc::BadRequest>(s);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->field_violations(0).field(), "metadata.total_size");
}

TEST_F(UploadAssemblerTest, RejectsTruncatedAndOverlongStreams) {
  ImageMetadata m = BasicMeta();
  m.set_total_size(kPng.size());
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(m)).ok());
  ASSERT_TRUE(a.Add(Chunk(kPng.substr(0, 20))).ok());
  EXPECT_EQ(ReasonOf(a.Finish().status()), "SIZE_MISMATCH");
  UploadAssembler b(1000, budget_);
  ASSERT_TRUE(b.Add(Meta(m)).ok());
  EXPECT_EQ(ReasonOf(b.Add(Chunk(kPng + "x"))), "SIZE_MISMATCH");
}

TEST_F(UploadAssemblerTest, RejectsNonImagesAndTypeMismatch) {
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(a.Add(Meta(BasicMeta())).ok());
  ASSERT_TRUE(a.Add(Chunk("just some text")).ok());
  EXPECT_EQ(ReasonOf(a.Finish().status()), "UNSUPPORTED_IMAGE");

  ImageMetadata m = BasicMeta();
  m.set_content_type("image/jpeg");
  UploadAssembler b(1000, budget_);
  ASSERT_TRUE(b.Add(Meta(m)).ok());
  ASSERT_TRUE(b.Add(Chunk(kPng)).ok());
  EXPECT_EQ(ReasonOf(b.Finish().status()), "CONTENT_TYPE_MISMATCH");

  m.set_content_type("text/html");
  UploadAssembler c(1000, budget_);
  EXPECT_EQ(ReasonOf(c.Add(Meta(m))), "UNSUPPORTED_CONTENT_TYPE");
}

TEST_F(UploadAssemblerTest, RejectsMalformedDigest) {
  ImageMetadata m = BasicMeta();
  m.set_sha256("ABC");
  UploadAssembler a(1000, budget_);
  EXPECT_EQ(ReasonOf(a.Add(Meta(m))), "INVALID_SHA256");
}

}  // namespace
}  // namespace userimage

namespace userimage {
namespace {

TEST_F(UploadAssemblerTest, WireFormAssemblesTheSameImage) {
  UploadAssembler a(1000, budget_);
  ASSERT_TRUE(AddWire(a, Meta(BasicMeta())).ok());
  ASSERT_TRUE(AddWire(a, Chunk(kPng.substr(0, 33))).ok());
  ASSERT_TRUE(AddWire(a, Chunk(kPng.substr(33))).ok());
  absl::StatusOr<AssembledImage> image = a.Finish();
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(*image->bytes, kPng);
  EXPECT_EQ(image->user_id, kUser);
}

TEST_F(UploadAssemblerTest, WireFormRejectsEmptyMultipleAndMalformed) {
  UploadAssembler a(1000, budget_);
  EXPECT_EQ(ReasonOf(AddWire(a, UploadProfileImageRequest())), "EMPTY_MESSAGE");

  UploadAssembler b(1000, budget_);
  ASSERT_TRUE(AddWire(b, Meta(BasicMeta())).ok());
  // A chunk field twice in one message (as a merged encoding would have).
  const std::string twice =
      Chunk("ab").SerializeAsString() + Chunk("cd").SerializeAsString();
  google::protobuf::io::ArrayInputStream in(twice.data(),
                                            static_cast<int>(twice.size()));
  EXPECT_EQ(ReasonOf(b.AddSerialized(in, twice.size())), "MULTIPLE_PAYLOADS");

  UploadAssembler c(1000, budget_);
  ASSERT_TRUE(AddWire(c, Meta(BasicMeta())).ok());
  std::string truncated = Chunk(kPng).SerializeAsString();
  truncated.resize(truncated.size() - 5);
  google::protobuf::io::ArrayInputStream cut(
      truncated.data(), static_cast<int>(truncated.size()));
  EXPECT_EQ(ReasonOf(c.AddSerialized(cut, truncated.size())),
            "MALFORMED_MESSAGE");

  // A chunk that declares 5 MB and brings 3 bytes reserves nothing.
  MemoryBudget budget(10'000'000);
  UploadAssembler d(10'000'000, budget);
  ASSERT_TRUE(AddWire(d, Meta(BasicMeta())).ok());
  std::string liar = Chunk(std::string(5'000'000, 'x')).SerializeAsString();
  liar.resize(8);
  google::protobuf::io::ArrayInputStream short_in(
      liar.data(), static_cast<int>(liar.size()));
  absl::Status refused = d.AddSerialized(short_in, liar.size());
  EXPECT_EQ(ReasonOf(refused), "MALFORMED_MESSAGE");
  EXPECT_NE(refused.message().find("5000000-byte field"), std::string::npos)
      << refused;
  EXPECT_EQ(budget.in_use(), 0u);
}

TEST_F(UploadAssemblerTest, ImageBytesCountAgainstTheBudgetUntilReleased) {
  MemoryBudget budget(1000);
  ImageMetadata m = BasicMeta();
  m.set_total_size(kPng.size());
  AssembledImage image;
  {
    UploadAssembler a(1000, budget);
    ASSERT_TRUE(a.Add(Meta(m)).ok());
    // Reserved from total_size, with room for the stripped copy.
    EXPECT_EQ(budget.in_use(), 2 * kPng.size());
    ASSERT_TRUE(a.Add(Chunk(kPng)).ok());
    image = *a.Finish();
  }
  EXPECT_EQ(budget.in_use(), kPng.size());  // Held while the image is.
  image.bytes.reset();
  EXPECT_EQ(budget.in_use(), 0);
}

TEST_F(UploadAssemblerTest, RefusesWhatTheBudgetCannotHold) {
  MemoryBudget budget(100);
  MemoryBudget::Reservation other = budget.Open();
  ASSERT_TRUE(other.Resize(60));
  ImageMetadata m = BasicMeta();
  m.set_total_size(kPng.size());  // 2 x 70 > 40 left
  UploadAssembler a(1000, budget);
  absl::Status s = a.Add(Meta(m));
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(s), "MEMORY_BUDGET_EXHAUSTED");
  EXPECT_TRUE(GetDetail<google::rpc::RetryInfo>(s).has_value());

  // Without a declared size the refusal comes while streaming.
  UploadAssembler b(1000, budget);
  ASSERT_TRUE(b.Add(Meta(BasicMeta())).ok());
  ASSERT_TRUE(b.Add(Chunk(kPng.substr(0, 10))).ok());
  EXPECT_EQ(ReasonOf(b.Add(Chunk(kPng.substr(10)))), "MEMORY_BUDGET_EXHAUSTED");
  EXPECT_LE(budget.in_use(), 100);
}

// A PNG of `size` bytes and more with a text chunk after IHDR, which
// stripping removes.
std::string PngWithText(size_t size) {
  const std::string png = TestPng(size);
  constexpr size_t kAfterIhdr = 8 + 25;
  return absl::StrCat(png.substr(0, kAfterIhdr),
                      test_images::PngChunkBytes("tEXt", std::string(500, 'c')),
                      png.substr(kAfterIhdr));
}

TEST_F(UploadAssemblerTest, TheStrippedCopyCountsAgainstTheBudget) {
  const std::string png = PngWithText(2000);
  ImageMetadata m = BasicMeta();
  m.set_total_size(png.size());
  {
    // Room for the image once, not for it and its copy: refused on
    // arrival, not once complete.
    MemoryBudget budget(png.size() + 100);
    UploadAssembler a(10000, budget);
    absl::Status refused = a.Add(Meta(m));
    EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
    EXPECT_EQ(ReasonOf(refused), "MEMORY_BUDGET_EXHAUSTED");
    EXPECT_EQ(budget.in_use(), 0u);
  }
  MemoryBudget budget(2 * png.size());
  UploadAssembler a(10000, budget);
  ASSERT_TRUE(a.Add(Meta(m)).ok());
  EXPECT_EQ(budget.in_use(), 2 * png.size());
  ASSERT_TRUE(a.Add(Chunk(png)).ok());
  absl::StatusOr<AssembledImage> image = a.Finish();
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_LT(image->bytes->size(), png.size());
  // What stays counted is the copy, not the original.
  EXPECT_EQ(budget.in_use(), image->bytes->capacity());
}

TEST_F(UploadAssemblerTest, ReleasesTheBudgetWhenAbandoned) {
  MemoryBudget budget(1000);
  {
    UploadAssembler a(1000, budget);
    ASSERT_TRUE(a.Add(Meta(BasicMeta())).ok());
    ASSERT_TRUE(a.Add(Chunk(kPng)).ok());
    EXPECT_GT(budget.in_use(), 0);
  }  // Cancelled stream: the assembler goes away without Finish().
  EXPECT_EQ(budget.in_use(), 0);
}

// ---- Conversion and scaling (ImagePolicy::convert)

ImagePolicy Converting(uint32_t max_side_px = 0) {
  ImagePolicy policy;
  policy.convert = true;
  policy.max_side_px = max_side_px;
  return policy;
}

absl::StatusOr<AssembledImage> AssembleAs(UploadAssembler& a,
                                          const std::string& bytes,
                                          const std::string& content_type,
                                          const std::string& filename) {
  ImageMetadata m = BasicMeta();
  m.set_content_type(content_type);
  m.set_filename(filename);
  if (absl::Status s = a.Add(Meta(m)); !s.ok()) return s;
  if (absl::Status s = a.Add(Chunk(bytes)); !s.ok()) return s;
  return a.Finish();
}

TEST_F(UploadAssemblerTest, HeifIsHandedOverForConversionWhenWorkersExist) {
  const std::string heic = test_images::HeifHeader(4032, 3024);
  UploadAssembler a(1 << 20, budget_, Converting());
  absl::StatusOr<AssembledImage> image =
      AssembleAs(a, heic, "image/heic", "IMG_0001.HEIC");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_TRUE(image->needs_normalization);
  EXPECT_EQ(image->keep_type, std::nullopt);
  EXPECT_EQ(*image->bytes, heic);
  EXPECT_EQ(a.filename(), "IMG_0001.HEIC");
  // Without workers, as before: refused, saying what is accepted.
  UploadAssembler off(1 << 20, budget_);
  absl::Status refused = AssembleAs(off, heic, "", "x.heic").status();
  EXPECT_EQ(ReasonOf(refused), "UNSUPPORTED_IMAGE");
  EXPECT_TRUE(absl::StrContains(refused.message(), "JPEG, PNG, GIF or WebP"))
      << refused;
  UploadAssembler off_type(1 << 20, budget_);
  EXPECT_EQ(ReasonOf(off_type.Add(Meta([] {
              ImageMetadata m = BasicMeta();
              m.set_content_type("image/heic");
              return m;
            }()))),
            "UNSUPPORTED_CONTENT_TYPE");
}

TEST_F(UploadAssemblerTest, AvifAndTiffAreAcceptedAndTheTypeMustMatch) {
  UploadAssembler avif(1 << 20, budget_, Converting());
  EXPECT_TRUE(AssembleAs(avif, test_images::HeifHeader(64, 64, "avif"),
                         "image/avif", "a.avif")
                  .ok());
  UploadAssembler tiff(1 << 20, budget_, Converting());
  EXPECT_TRUE(
      AssembleAs(tiff, std::string("II*\0\x08\0\0\0", 8), "", "s.tif").ok());
  UploadAssembler mismatch(1 << 20, budget_, Converting());
  absl::Status status = AssembleAs(mismatch, test_images::HeifHeader(64, 64),
                                   "image/avif", "a.avif")
                            .status();
  EXPECT_EQ(ReasonOf(status), "CONTENT_TYPE_MISMATCH");
  EXPECT_TRUE(absl::StrContains(status.message(), "HEIF")) << status;
}

TEST_F(UploadAssemblerTest, AHeifBombIsRefusedFromItsHeader) {
  UploadAssembler a(1 << 20, budget_, Converting());
  absl::Status status =
      AssembleAs(a, test_images::HeifHeader(60000, 60000), "", "bomb.heic")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(status), "IMAGE_DIMENSIONS");
  EXPECT_TRUE(absl::StrContains(status.message(), "60000")) << status;
}

TEST_F(UploadAssemblerTest, ADamagedHeifHeaderIsRefused) {
  const std::string heic = test_images::HeifHeader(100, 100);
  UploadAssembler a(1 << 20, budget_, Converting());
  absl::Status status =
      AssembleAs(a, heic.substr(0, heic.size() - 5), "", "cut.heic").status();
  EXPECT_EQ(ReasonOf(status), "MALFORMED_IMAGE");
  EXPECT_TRUE(absl::StrContains(status.message(), "truncated")) << status;
}

TEST_F(UploadAssemblerTest, OnlyImagesOverTheSideLimitAreScaled) {
  const std::string big = test_images::Jpeg(2000, 1000);
  UploadAssembler over(1 << 20, budget_, Converting(1024));
  absl::StatusOr<AssembledImage> scaled =
      AssembleAs(over, big, "image/jpeg", "big.jpg");
  ASSERT_TRUE(scaled.ok()) << scaled.status();
  EXPECT_TRUE(scaled->needs_normalization);
  EXPECT_EQ(scaled->keep_type, ImageType::kJpeg);
  UploadAssembler within(1 << 20, budget_, Converting(2000));
  absl::StatusOr<AssembledImage> kept =
      AssembleAs(within, big, "image/jpeg", "big.jpg");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_FALSE(kept->needs_normalization);
  EXPECT_EQ(kept->content_type, "image/jpeg");
  // The limit off: passes as before.
  UploadAssembler off(1 << 20, budget_, Converting(0));
  absl::StatusOr<AssembledImage> passed =
      AssembleAs(off, big, "image/jpeg", "big.jpg");
  ASSERT_TRUE(passed.ok()) << passed.status();
  EXPECT_FALSE(passed->needs_normalization);
}

TEST_F(UploadAssemblerTest, AnImageForConversionHoldsOnlyItsOwnBytes) {
  const std::string heic = test_images::HeifHeader(10, 10) +
                           test_images::IsoBox("mdat", std::string(5000, 'x'));
  UploadAssembler a(1 << 20, budget_, Converting());
  absl::StatusOr<AssembledImage> image = AssembleAs(a, heic, "", "a.heic");
  ASSERT_TRUE(image.ok()) << image.status();
  // No room for a stripped copy is kept: the worker makes the new image.
  EXPECT_LT(budget_.in_use(), 2 * heic.size());
  EXPECT_GE(budget_.in_use(), heic.size());
}

}  // namespace
}  // namespace userimage
