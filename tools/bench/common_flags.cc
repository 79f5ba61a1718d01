#include "tools/bench/common_flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, server_binary, "",
          "user_image_server to run; default: from the runfiles or next to "
          "this binary in bazel-bin.");
ABSL_FLAG(std::string, emulator_binary, "",
          "clerk_emulator to run; default: from the runfiles or next to this "
          "binary in bazel-bin (build //tools/clerk_emulator with the same -c "
          "first).");
ABSL_FLAG(std::string, work_dir, "",
          "Directory for port files, process logs and other scratch files; "
          "default: a new directory under $TMPDIR (or /tmp).");
