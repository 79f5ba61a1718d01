#include "server/normalize/worker_sandbox.h"

#include <errno.h>
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"

namespace userimage {
namespace {

// Always allowed: memory, threads and their synchronisation, clocks,
// signals (for a clean abort), I/O on descriptors already open, and new
// pipes (AddressSanitizer probes memory through one; a pipe reaches
// nothing outside the process).
constexpr int kAllowed[] = {
    SCMP_SYS(read),
    SCMP_SYS(readv),
    SCMP_SYS(write),
    SCMP_SYS(writev),
    SCMP_SYS(poll),
    SCMP_SYS(ppoll),
    SCMP_SYS(pipe2),
    SCMP_SYS(close),
    SCMP_SYS(fstat),
    SCMP_SYS(newfstatat),
    SCMP_SYS(lseek),
    SCMP_SYS(fcntl),
    SCMP_SYS(mmap),
    SCMP_SYS(munmap),
    SCMP_SYS(mremap),
    SCMP_SYS(mprotect),
    SCMP_SYS(brk),
    SCMP_SYS(madvise),
    SCMP_SYS(futex),
    SCMP_SYS(set_robust_list),
    SCMP_SYS(rseq),
    SCMP_SYS(exit),
    SCMP_SYS(exit_group),
    SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigaction),
    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(sigaltstack),
    SCMP_SYS(gettid),
    SCMP_SYS(getpid),
    SCMP_SYS(clock_gettime),
    SCMP_SYS(clock_getres),
    SCMP_SYS(clock_nanosleep),
    SCMP_SYS(nanosleep),
    SCMP_SYS(gettimeofday),
    SCMP_SYS(getrandom),
    SCMP_SYS(sched_yield),
    // Reading CPU affinity (decoders size their thread pools by it; a
    // thread's is asked for by its tid).
    SCMP_SYS(sched_getaffinity),
    SCMP_SYS(getrusage),
    SCMP_SYS(times),
    SCMP_SYS(sysinfo),
    SCMP_SYS(uname),
    SCMP_SYS(umask),
};

// Fail with EACCES: reaching the file system.
constexpr int kFiles[] = {
    SCMP_SYS(open),       SCMP_SYS(openat),   SCMP_SYS(openat2),
    SCMP_SYS(creat),      SCMP_SYS(access),   SCMP_SYS(faccessat),
    SCMP_SYS(faccessat2), SCMP_SYS(readlink), SCMP_SYS(readlinkat),
    SCMP_SYS(stat),       SCMP_SYS(lstat),    SCMP_SYS(statx),
    SCMP_SYS(statfs),     SCMP_SYS(ioctl),    SCMP_SYS(getcwd),
};

// Fail with EACCES, always: the network.
constexpr int kNetwork[] = {SCMP_SYS(socket), SCMP_SYS(socketpair),
                            SCMP_SYS(getpeername)};

// Also allowed for a fuzzer (SandboxLimits::for_fuzzer): what libFuzzer
// does between inputs (its corpus and artifacts, timers, its own threads)
// and to report (it and AddressSanitizer run llvm-symbolizer).
constexpr int kFuzzer[] = {
    SCMP_SYS(getdents64),
    SCMP_SYS(mkdir),
    SCMP_SYS(mkdirat),
    SCMP_SYS(unlink),
    SCMP_SYS(unlinkat),
    SCMP_SYS(rename),
    SCMP_SYS(renameat),
    SCMP_SYS(setitimer),
    SCMP_SYS(getitimer),
    SCMP_SYS(dup),
    SCMP_SYS(dup2),
    SCMP_SYS(dup3),
    SCMP_SYS(fsync),
    SCMP_SYS(ftruncate),
    SCMP_SYS(kill),
    SCMP_SYS(getppid),
    SCMP_SYS(sched_setaffinity),
    SCMP_SYS(fork),
    SCMP_SYS(vfork),
    SCMP_SYS(execve),
    SCMP_SYS(wait4),
};

// AddressSanitizer and ThreadSanitizer reserve terabytes of shadow address
// space at start-up: under them RLIMIT_AS would fail every allocation.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerShadow = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizerShadow = true;
#else
constexpr bool kSanitizerShadow = false;
#endif
#else
constexpr bool kSanitizerShadow = false;
#endif

struct FilterFree {
  void operator()(scmp_filter_ctx ctx) const { seccomp_release(ctx); }
};

absl::Status SetLimit(int resource, rlim_t value, const char* name) {
  const rlimit limit{value, value};
  if (setrlimit(resource, &limit) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(", name, ") failed: errno ", errno));
  }
  return absl::OkStatus();
}

int AddAll(scmp_filter_ctx ctx, uint32_t action, absl::Span<const int> calls) {
  int rc = 0;
  for (int syscall : calls) {
    rc = rc != 0 ? rc : seccomp_rule_add(ctx, action, syscall, 0);
  }
  return rc;
}

// The rules that look at arguments.
int AddFilteredRules(scmp_filter_ctx ctx, bool for_fuzzer) {
  const scmp_datum_t self = static_cast<scmp_datum_t>(getpid());
  const struct {
    uint32_t action;
    int syscall;
    std::optional<scmp_arg_cmp> arg;
  } rules[] = {
      // Threads, but no new processes: clone only with CLONE_THREAD;
      // clone3 (whose flags a filter cannot read) reports ENOSYS, so glibc
      // falls back to clone. (A fuzzer's reports fork a symbolizer.)
      {SCMP_ACT_ALLOW, SCMP_SYS(clone),
       for_fuzzer ? std::nullopt
                  : std::optional<scmp_arg_cmp>(SCMP_A0(
                        SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD))},
      {SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), std::nullopt},
      // Naming threads (glib does); every other prctl fails.
      {SCMP_ACT_ALLOW, SCMP_SYS(prctl), SCMP_A0(SCMP_CMP_EQ, PR_SET_NAME)},
      {SCMP_ACT_ERRNO(EPERM), SCMP_SYS(prctl),
       SCMP_A0(SCMP_CMP_NE, PR_SET_NAME)},
      // Signals (abort()) for this process only: never the server or
      // another worker.
      {SCMP_ACT_ALLOW, SCMP_SYS(tgkill), SCMP_A0(SCMP_CMP_EQ, self)},
  };
  int rc = 0;
  for (const auto& rule : rules) {
    rc = rc != 0 ? rc
         : rule.arg
             ? seccomp_rule_add(ctx, rule.action, rule.syscall, 1, *rule.arg)
             : seccomp_rule_add(ctx, rule.action, rule.syscall, 0);
  }
  // Reading this process's limits, never raising them.
  return rc != 0 ? rc
                 : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
                                    SCMP_A0(SCMP_CMP_EQ, 0),
                                    SCMP_A2(SCMP_CMP_EQ, 0));
}

absl::Status InstallFilter(bool for_fuzzer) {
  std::unique_ptr<void, FilterFree> ctx(
      seccomp_init(for_fuzzer ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS));
  if (ctx == nullptr) return absl::InternalError("seccomp_init failed");
  int rc = seccomp_attr_set(ctx.get(), SCMP_FLTATR_CTL_TSYNC, 1);
  rc = rc != 0 ? rc : AddAll(ctx.get(), SCMP_ACT_ALLOW, kAllowed);
  rc = rc != 0 ? rc : AddAll(ctx.get(), SCMP_ACT_ERRNO(EACCES), kNetwork);
  if (for_fuzzer) {
    rc = rc != 0 ? rc : AddAll(ctx.get(), SCMP_ACT_ALLOW, kFiles);
    rc = rc != 0 ? rc : AddAll(ctx.get(), SCMP_ACT_ALLOW, kFuzzer);
  } else {
    rc = rc != 0 ? rc : AddAll(ctx.get(), SCMP_ACT_ERRNO(EACCES), kFiles);
  }
  rc = rc != 0 ? rc : AddFilteredRules(ctx.get(), for_fuzzer);
  rc = rc != 0 ? rc : seccomp_load(ctx.get());
  if (rc != 0) {
    return absl::InternalError(
        absl::StrCat("installing the seccomp filter failed: ", rc));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status EnterSandbox(const SandboxLimits& limits) {
  if (!kSanitizerShadow) {
    if (absl::Status s =
            SetLimit(RLIMIT_AS, limits.address_space_bytes, "RLIMIT_AS");
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = SetLimit(RLIMIT_CPU, limits.cpu_seconds, "RLIMIT_CPU");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = SetLimit(RLIMIT_CORE, 0, "RLIMIT_CORE"); !s.ok()) {
    return s;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(absl::StrCat("prctl failed: errno ", errno));
  }
  return InstallFilter(limits.for_fuzzer);
}

}  // namespace userimage
