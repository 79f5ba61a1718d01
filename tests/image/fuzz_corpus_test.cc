// Runs every input of the committed fuzz corpora (fuzz/image/corpus/*)
// through the properties the fuzz targets check, so that the corpora, and
// any crash found by fuzzing and added to them, stay regression tests of
// the normal test suite.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/read_file.h"
#include "fuzz/image/fuzz_checks.h"
#include "gtest/gtest.h"

namespace userimage {
namespace {

std::vector<std::filesystem::path> CorpusFiles(absl::string_view target) {
  const std::filesystem::path dir(
      absl::StrCat(std::getenv("TEST_SRCDIR"),
                   "/clerk_user_image/fuzz/image/corpus/", target));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  return files;
}

std::string Read(const std::filesystem::path& path) {
  absl::StatusOr<std::string> bytes =
      clerk::userimage::client::ReadFile(path.string());
  EXPECT_TRUE(bytes.ok()) << bytes.status();
  return bytes.value_or("");
}

TEST(FuzzCorpusTest, ImageCorporaSatisfyEveryProperty) {
  for (absl::string_view target : {"inspect", "strip"}) {
    const std::vector<std::filesystem::path> files = CorpusFiles(target);
    EXPECT_GE(files.size(), 10u) << target;
    for (const std::filesystem::path& file : files) {
      const std::string bytes = Read(file);
      EXPECT_TRUE(CheckInspectProperties(bytes).ok())
          << file << ": " << CheckInspectProperties(bytes);
      EXPECT_TRUE(CheckStripProperties(bytes).ok())
          << file << ": " << CheckStripProperties(bytes);
      EXPECT_TRUE(CheckSafeFilenameProperties(bytes).ok())
          << file << ": " << CheckSafeFilenameProperties(bytes);
    }
  }
}

TEST(FuzzCorpusTest, FilenameCorpusSatisfiesEveryProperty) {
  const std::vector<std::filesystem::path> files = CorpusFiles("safe_filename");
  EXPECT_GE(files.size(), 5u);
  for (const std::filesystem::path& file : files) {
    const std::string name = Read(file);
    EXPECT_TRUE(CheckSafeFilenameProperties(name).ok())
        << file << ": " << CheckSafeFilenameProperties(name);
    EXPECT_TRUE(CheckInspectProperties(name).ok()) << file;
    EXPECT_TRUE(CheckStripProperties(name).ok()) << file;
  }
}

}  // namespace
}  // namespace userimage
