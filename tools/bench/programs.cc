#include "tools/bench/programs.h"

#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace clerk::userimage::bench {
namespace {

constexpr char kWorkspace[] = "clerk_user_image";

bool IsExecutable(const std::string& path) {
  return !path.empty() && access(path.c_str(), X_OK) == 0;
}

// The runfile `path` (relative to the workspace) from a runfiles manifest.
std::optional<std::string> FromManifest(const std::string& manifest,
                                        const std::string& path) {
  std::ifstream in(manifest);
  const std::string key = absl::StrCat(kWorkspace, "/", path, " ");
  for (std::string line; std::getline(in, line);) {
    if (absl::StartsWith(line, key)) return line.substr(key.size());
  }
  return std::nullopt;
}

}  // namespace

std::string SelfPath() {
  char buffer[PATH_MAX];
  const ssize_t n = readlink("/proc/self/exe", buffer, sizeof(buffer) - 1);
  return n > 0 ? std::string(buffer, n) : std::string();
}

absl::StatusOr<std::string> FindProgram(const std::string& path,
                                        const std::string& self_path) {
  const std::string self = SelfPath();
  std::vector<std::string> candidates;
  if (const char* dir = std::getenv("RUNFILES_DIR")) {
    candidates.push_back(absl::StrCat(dir, "/", kWorkspace, "/", path));
  }
  candidates.push_back(absl::StrCat(self, ".runfiles/", kWorkspace, "/", path));
  std::vector<std::string> manifests = {
      absl::StrCat(self, ".runfiles_manifest")};
  if (const char* manifest = std::getenv("RUNFILES_MANIFEST_FILE")) {
    manifests.insert(manifests.begin(), manifest);
  }
  for (const std::string& manifest : manifests) {
    if (auto found = FromManifest(manifest, path)) candidates.push_back(*found);
  }
  if (absl::string_view bin = self; absl::ConsumeSuffix(&bin, self_path)) {
    candidates.push_back(absl::StrCat(bin, path));
  }
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    candidates.push_back(absl::StrCat(workspace, "/bazel-bin/", path));
  }
  for (const std::string& candidate : candidates) {
    if (IsExecutable(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(
      "cannot find ", path, "; build //", path.substr(0, path.rfind('/')),
      " with the same -c as this benchmark, or pass its path by flag"));
}

absl::StatusOr<std::string> Program(const std::string& flag,
                                    const std::string& path,
                                    const std::string& self_path) {
  if (flag.empty()) return FindProgram(path, self_path);
  if (!IsExecutable(flag)) {
    return absl::NotFoundError(absl::StrCat(flag, " is not an executable"));
  }
  return flag;
}

absl::StatusOr<std::string> MakeWorkDir(const std::string& flag,
                                        const std::string& prefix) {
  if (!flag.empty()) return flag;
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = absl::StrCat(
      tmp != nullptr && *tmp != '\0' ? tmp : "/tmp", "/", prefix, ".XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  return pattern;
}

absl::StatusOr<BenchPrograms> FindBenchPrograms(
    const std::string& server_flag, const std::string& emulator_flag,
    const std::string& work_dir_flag, const std::string& name) {
  const std::string self = absl::StrCat("tools/bench/", name);
  absl::StatusOr<std::string> server =
      Program(server_flag, "server/user_image_server", self);
  if (!server.ok()) return server.status();
  absl::StatusOr<std::string> emulator =
      Program(emulator_flag, "tools/clerk_emulator/clerk_emulator", self);
  if (!emulator.ok()) return emulator.status();
  absl::StatusOr<std::string> work_dir = MakeWorkDir(work_dir_flag, name);
  if (!work_dir.ok()) return work_dir.status();
  return BenchPrograms{*std::move(server), *std::move(emulator),
                       *std::move(work_dir)};
}

std::string WorkspaceDir() {
  if (const char* workspace = std::getenv("BUILD_WORKSPACE_DIRECTORY")) {
    return workspace;
  }
  char buffer[PATH_MAX];
  return getcwd(buffer, sizeof(buffer)) != nullptr ? std::string(buffer) : ".";
}

absl::StatusOr<std::string> FindOnPath(const std::string& name) {
  if (absl::StrContains(name, '/')) {
    if (IsExecutable(name)) return name;
    return absl::NotFoundError(absl::StrCat(name, " is not an executable"));
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate =
        absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (IsExecutable(candidate)) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(name, " is not on $PATH"));
}

}  // namespace clerk::userimage::bench
