#include "fuzz/image/fuzz_checks.h"

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "server/image/dimension_limits.h"
#include "server/image/image_info.h"
#include "server/image/image_type.h"
#include "server/image/safe_filename.h"
#include "server/image/strip_metadata.h"

namespace userimage {
namespace {

absl::Status Violated(absl::string_view property) {
  return absl::InternalError(absl::StrCat("property violated: ", property));
}

// A failure must be INVALID_ARGUMENT with a message for the caller.
absl::Status CheckRefusal(const absl::Status& status,
                          absl::string_view function) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    return Violated(absl::StrCat(function, " failed with ", status.ToString(),
                                 " instead of INVALID_ARGUMENT"));
  }
  if (status.message().empty()) {
    return Violated(absl::StrCat(function, " failed without a message"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckInspectProperties(absl::string_view bytes) {
  const absl::StatusOr<ImageInfo> info = InspectImage(bytes);
  if (!info.ok()) return CheckRefusal(info.status(), "InspectImage");
  const std::optional<ImageType> sniffed = SniffImageType(bytes);
  if (!sniffed.has_value() || *sniffed != info->type) {
    return Violated("InspectImage reported a type other than the sniffed one");
  }
  if (info->frame_count == 0) {
    return Violated("InspectImage accepted an image without frames");
  }
  const DimensionLimits limits;
  const absl::Status checked = CheckDimensions(*info, limits);
  if (!checked.ok()) return CheckRefusal(checked, "CheckDimensions");
  if (info->width == 0 || info->height == 0 || info->width > limits.max_side ||
      info->height > limits.max_side ||
      uint64_t{info->width} * info->height > limits.max_pixels ||
      info->frame_count > limits.max_frames) {
    return Violated("CheckDimensions accepted an image beyond the limits");
  }
  return absl::OkStatus();
}

// StripMetadataFrom() agrees with StripMetadata(): the same bytes, and
// "nothing stripped" (with the very buffer left in place) exactly when they
// are the input's.
absl::Status CheckStripInPlace(absl::string_view bytes,
                               absl::string_view stripped) {
  std::string image(bytes);
  const char* const buffer = image.data();
  const absl::StatusOr<bool> changed = StripMetadataFrom(image);
  if (!changed.ok()) {
    return Violated("StripMetadataFrom refuses what StripMetadata takes");
  }
  if (image != stripped) {
    return Violated("StripMetadataFrom and StripMetadata disagree");
  }
  if (*changed != (stripped != bytes)) {
    return Violated("StripMetadataFrom misreports whether it changed");
  }
  if (!*changed && image.data() != buffer) {
    return Violated("StripMetadataFrom copied an image it did not change");
  }
  return absl::OkStatus();
}

absl::Status CheckStripProperties(absl::string_view bytes) {
  const absl::StatusOr<std::string> stripped = StripMetadata(bytes);
  if (!stripped.ok()) return CheckRefusal(stripped.status(), "StripMetadata");
  if (stripped->size() > bytes.size()) {
    return Violated("StripMetadata made the image larger");
  }
  const absl::StatusOr<ImageInfo> before = InspectImage(bytes);
  const absl::StatusOr<ImageInfo> after = InspectImage(*stripped);
  if (!before.ok()) {
    return Violated("StripMetadata accepted an image InspectImage refuses");
  }
  if (!after.ok()) {
    return Violated(absl::StrCat("InspectImage refuses the stripped image: ",
                                 after.status().ToString()));
  }
  if (*before != *after) {
    return Violated("stripping changed the type, size or frame count");
  }
  const absl::StatusOr<std::string> again = StripMetadata(*stripped);
  if (!again.ok()) {
    return Violated(absl::StrCat("StripMetadata refuses its own output: ",
                                 again.status().ToString()));
  }
  if (*again != *stripped) {
    return Violated("stripping the stripped image changed it again");
  }
  return CheckStripInPlace(bytes, *stripped);
}

absl::Status CheckSafeFilenameProperties(absl::string_view name) {
  for (ImageType type :
       {ImageType::kJpeg, ImageType::kPng, ImageType::kGif, ImageType::kWebp}) {
    const std::string safe = SafeFilename(name, type);
    const absl::string_view extension = FileExtension(type);
    if (safe.size() <= extension.size() ||
        safe.size() > kMaxSafeFilenameLength) {
      return Violated(absl::StrCat("bad length: \"", safe, "\""));
    }
    if (safe.find('.') != safe.size() - extension.size() ||
        safe.substr(safe.size() - extension.size()) != extension) {
      return Violated(absl::StrCat("bad extension: \"", safe, "\""));
    }
    if (safe[0] == '-' || safe[0] == ' ') {
      return Violated(absl::StrCat("leading separator: \"", safe, "\""));
    }
    for (char c : safe) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
            c == ' ')) {
        return Violated(absl::StrCat("unsafe character: \"", safe, "\""));
      }
    }
    if (SafeFilename(safe, type) != safe) {
      return Violated(absl::StrCat("not idempotent: \"", safe, "\""));
    }
  }
  return absl::OkStatus();
}

void AbortIfViolated(const absl::Status& status) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s\n", status.ToString().c_str());
  std::abort();
}

}  // namespace userimage
