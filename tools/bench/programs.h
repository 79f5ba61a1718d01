#ifndef TOOLS_BENCH_PROGRAMS_H_
#define TOOLS_BENCH_PROGRAMS_H_

#include <string>

#include "absl/status/statusor.h"

namespace clerk::userimage::bench {

// Where a benchmark finds the programs it runs and keeps its files. Paths
// are relative to the workspace, e.g. "server/user_image_server".

// This process's executable.
std::string SelfPath();

// Finds the built program at `path`: in the runfiles of this binary (built
// as `self_path`, e.g. "tools/bench/rate_limit_bench"), else in the output
// tree this binary was built into, else under the workspace's bazel-bin.
absl::StatusOr<std::string> FindProgram(const std::string& path,
                                        const std::string& self_path);

// `flag` if set (it must be executable), else FindProgram(path, self_path).
absl::StatusOr<std::string> Program(const std::string& flag,
                                    const std::string& path,
                                    const std::string& self_path);

// `flag` if set, else a new directory $TMPDIR/<prefix>.XXXXXX (or /tmp).
absl::StatusOr<std::string> MakeWorkDir(const std::string& flag,
                                        const std::string& prefix);

// The programs a benchmark against the service runs, and its directory.
struct BenchPrograms {
  std::string server;    // server/user_image_server
  std::string emulator;  // tools/clerk_emulator/clerk_emulator
  std::string work_dir;
};

// Resolves them for the benchmark `name` (built as tools/bench/<name>)
// from its flags, as Program() and MakeWorkDir() do; the error names the
// first that is missing.
absl::StatusOr<BenchPrograms> FindBenchPrograms(
    const std::string& server_flag, const std::string& emulator_flag,
    const std::string& work_dir_flag, const std::string& name);

// The workspace directory: $BUILD_WORKSPACE_DIRECTORY under `bazel run`,
// else the current directory.
std::string WorkspaceDir();

// The first executable `name` on $PATH (or `name` itself when it holds a
// slash and is executable).
absl::StatusOr<std::string> FindOnPath(const std::string& name);

}  // namespace clerk::userimage::bench

#endif  // TOOLS_BENCH_PROGRAMS_H_
