#include "tests/testing/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

extern char** environ;

namespace userimage {

absl::StatusOr<std::unique_ptr<Subprocess>> Subprocess::Start(
    const std::vector<std::string>& argv,
    const std::vector<std::string>& extra_env, const std::string& log_path) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
  env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
  std::vector<char*> args, env;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
  env.push_back(nullptr);

  const int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (log_fd < 0) return absl::InternalError("cannot open " + log_path);
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  close(log_fd);
  return std::unique_ptr<Subprocess>(new Subprocess(pid));
}

Subprocess::~Subprocess() {
  if (exited_) return;
  kill(pid_, SIGTERM);
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    if (waitpid(pid_, &exit_status_, WNOHANG) == pid_) return;
    absl::SleepFor(absl::Milliseconds(20));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &exit_status_, 0);
}

int Subprocess::Terminate() {
  if (!exited_) {
    kill(pid_, SIGTERM);
    waitpid(pid_, &exit_status_, 0);
    exited_ = true;
  }
  return exit_status_;
}

void Subprocess::Signal(int signal) {
  if (!exited_) kill(pid_, signal);
}

int Subprocess::Wait() {
  if (!exited_) {
    waitpid(pid_, &exit_status_, 0);
    exited_ = true;
  }
  return exit_status_;
}

bool Subprocess::Running() {
  if (!exited_ && waitpid(pid_, &exit_status_, WNOHANG) == pid_) exited_ = true;
  return !exited_;
}

absl::StatusOr<int> Subprocess::WaitForPortFile(const std::string& path,
                                                absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (absl::Now() < give_up) {
    std::ifstream in(path);
    std::string text;
    int port = 0;
    if (in && std::getline(in, text) && absl::SimpleAtoi(text, &port) &&
        port > 0) {
      return port;
    }
    if (!Running()) {
      return absl::InternalError(absl::StrCat("process exited with status ",
                                              exit_status_, " before writing ",
                                              path));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("no port in " + path);
}

absl::StatusOr<std::string> RunCommand(const std::string& command,
                                       const std::string& input,
                                       const std::string& log_path) {
  const std::string input_path = TestTempPath("stdin.txt");
  std::ofstream(input_path) << input;
  const std::string full =
      absl::StrCat(command, " < ", input_path, " 2>>", log_path);
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError("popen failed");
  std::string output;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0)
    output.append(buffer, n);
  const int status = pclose(pipe);
  if (status != 0) {
    return absl::InternalError(absl::StrCat("`", command, "` exited with ",
                                            status, "; output: ", output));
  }
  return output;
}

std::string Runfile(const std::string& path) {
  return absl::StrCat(std::getenv("TEST_SRCDIR"), "/clerk_user_image/", path);
}

std::string TestTempPath(const std::string& name) {
  return absl::StrCat(std::getenv("TEST_TMPDIR"), "/", name);
}

}  // namespace userimage
