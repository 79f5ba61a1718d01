// Each case runs in a forked child (the sandbox is irreversible) and
// reports through its exit status.
#include "server/normalize/worker_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <thread>

#include "gtest/gtest.h"

namespace userimage {
namespace {

// Runs `body` sandboxed in a child; returns its wait status.
int RunSandboxed(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (!EnterSandbox(
             {.address_space_bytes = uint64_t{4} << 30, .cpu_seconds = 60})
             .ok()) {
      _exit(100);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool ExitedWith(int status, int code) {
  return WIFEXITED(status) && WEXITSTATUS(status) == code;
}

bool KilledBySeccomp(int status) {
  return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS;
}

TEST(WorkerSandboxTest, MemoryThreadsAndPipesStillWork) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const int status = RunSandboxed([&] {
    void* memory = malloc(64 << 20);
    if (memory == nullptr) return 1;
    free(memory);
    int value = 0;
    std::thread thread([&] { value = 7; });
    thread.join();
    if (value != 7) return 2;
    return write(fds[1], "ok", 2) == 2 ? 0 : 3;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
  char buffer[2];
  EXPECT_EQ(read(fds[0], buffer, 2), 2);
  close(fds[0]);
  close(fds[1]);
}

TEST(WorkerSandboxTest, NoNetwork) {
  const int status = RunSandboxed([] {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    return fd < 0 && errno == EACCES ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
}

TEST(WorkerSandboxTest, NoFiles) {
  const int status = RunSandboxed([] {
    const int fd = open("/etc/hostname", O_RDONLY);
    return fd < 0 && errno == EACCES ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(status, 0)) << status;
}

TEST(WorkerSandboxTest, NoNewProcessesOrPrograms) {
  EXPECT_TRUE(KilledBySeccomp(
      RunSandboxed([] { return syscall(SYS_fork) >= 0 ? 1 : 2; })));
  EXPECT_TRUE(KilledBySeccomp(RunSandboxed([] {
    char* argv[] = {const_cast<char*>("/bin/true"), nullptr};
    execv("/bin/true", argv);
    return 1;
  })));
}

TEST(WorkerSandboxTest, SignalsReachOnlyItself) {
  const pid_t parent = getpid();  // The children's parent.
  EXPECT_TRUE(KilledBySeccomp(
      RunSandboxed([&] { return kill(parent, 0) == 0 ? 1 : 2; })));
  EXPECT_TRUE(KilledBySeccomp(RunSandboxed(
      [&] { return syscall(SYS_tgkill, parent, parent, 0) == 0 ? 1 : 2; })));
  // Its own: abort() still works.
  const int status = RunSandboxed([] {
    abort();
    return 0;
  });
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT) << status;
}

TEST(WorkerSandboxTest, LimitsCannotBeRaised) {
  const int status = RunSandboxed([] {
    rlimit limit{RLIM_INFINITY, RLIM_INFINITY};
    return setrlimit(RLIMIT_CPU, &limit) == 0 ? 1 : 0;
  });
  EXPECT_TRUE(ExitedWith(status, 0) || KilledBySeccomp(status)) << status;
  const int read_back = RunSandboxed([] {
    rlimit limit{};
    return getrlimit(RLIMIT_CPU, &limit) == 0 && limit.rlim_max == 60 ? 0 : 1;
  });
  EXPECT_TRUE(ExitedWith(read_back, 0)) << read_back;
}

}  // namespace
}  // namespace userimage
