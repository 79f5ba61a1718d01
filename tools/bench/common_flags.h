#ifndef TOOLS_BENCH_COMMON_FLAGS_H_
#define TOOLS_BENCH_COMMON_FLAGS_H_

#include <string>

#include "absl/flags/declare.h"

// The flags every benchmark takes, defined once (common_flags.cc):
// --server_binary, --emulator_binary (where the programs it runs are) and
// --work_dir (its scratch directory).
ABSL_DECLARE_FLAG(std::string, server_binary);
ABSL_DECLARE_FLAG(std::string, emulator_binary);
ABSL_DECLARE_FLAG(std::string, work_dir);

#endif  // TOOLS_BENCH_COMMON_FLAGS_H_
