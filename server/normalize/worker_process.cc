#include "server/normalize/worker_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/wire_format_lite.h"
#include "server/normalize/frame_io.h"

namespace userimage {
namespace {

using clerk::userimage::internal::v1::NormalizeRequest;
using clerk::userimage::internal::v1::NormalizeResponse;

// The ready frame is an empty response or a short failure.
constexpr size_t kMaxReadyFrame = 64 * 1024;

struct Pipe {
  int read = -1;
  int write = -1;
};

absl::StatusOr<Pipe> MakePipe() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::UnavailableError(absl::StrCat("pipe2 failed: errno ", errno));
  }
  return Pipe{fds[0], fds[1]};
}

absl::StatusOr<pid_t> Spawn(const std::vector<std::string>& argv,
                            const Pipe& in, const Pipe& out) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> args;
  for (const std::string& arg : argv)
    args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // No blocked signals and default dispositions, whatever the spawning
  // thread has.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attributes, &signals);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  char* no_environment[] = {nullptr};
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, &attributes, args.data(),
                             no_environment);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot start the normalize worker ", argv[0], ": errno ", rc));
  }
  return pid;
}

}  // namespace

absl::StatusOr<std::unique_ptr<WorkerProcess>> WorkerProcess::Start(
    const std::vector<std::string>& argv, absl::Time deadline) {
  if (argv.empty()) return absl::InvalidArgumentError("no worker binary");
  absl::StatusOr<Pipe> in = MakePipe();
  if (!in.ok()) return in.status();
  absl::StatusOr<Pipe> out = MakePipe();
  if (!out.ok()) {
    close(in->read);
    close(in->write);
    return out.status();
  }
  absl::StatusOr<pid_t> pid = Spawn(argv, *in, *out);
  close(in->read);
  close(out->write);
  // The server's ends never block: frame_io waits in poll(2), so a worker
  // that stops reading or writing cannot hold a thread past its deadline.
  fcntl(in->write, F_SETFL, fcntl(in->write, F_GETFL) | O_NONBLOCK);
  fcntl(out->read, F_SETFL, fcntl(out->read, F_GETFL) | O_NONBLOCK);
  if (!pid.ok()) {
    close(in->write);
    close(out->read);
    return pid.status();
  }
  // Owns the process from here: any failure below kills and reaps it.
  std::unique_ptr<WorkerProcess> worker(
      new WorkerProcess(*pid, in->write, out->read));
  std::string frame;
  NormalizeResponse ready;
  absl::Status read =
      ReadFrame(worker->from_worker_, kMaxReadyFrame, deadline, &frame);
  if (!read.ok()) {
    return absl::Status(read.code(),
                        absl::StrCat("the normalize worker ", argv[0],
                                     " did not start: ", read.message()));
  }
  if (!ready.ParseFromString(frame) || ready.has_image()) {
    return absl::UnavailableError(absl::StrCat("the normalize worker ", argv[0],
                                               " sent no valid ready frame"));
  }
  if (ready.has_failure()) {
    return absl::UnavailableError(
        absl::StrCat("the normalize worker ", argv[0],
                     " could not start: ", ready.failure().message()));
  }
  return worker;
}

WorkerProcess::~WorkerProcess() {
  close(to_worker_);
  close(from_worker_);
  if (reaped_) return;
  kill(pid_, SIGKILL);
  while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
  }
}

bool WorkerProcess::Alive() {
  if (reaped_) return false;
  const pid_t waited = waitpid(pid_, nullptr, WNOHANG);
  // ECHILD: already reaped for us (SIGCHLD ignored).
  reaped_ = waited == pid_ || (waited < 0 && errno == ECHILD);
  return !reaped_;
}

absl::Duration WorkerProcess::CpuUsed() const {
  std::ifstream stat(absl::StrCat("/proc/", pid_, "/stat"));
  std::string line;
  std::getline(stat, line);
  // Fields after the command name (which may hold spaces): state is the
  // first, utime and stime the 12th and 13th.
  const size_t end_of_name = line.rfind(')');
  if (end_of_name == std::string::npos) return absl::ZeroDuration();
  std::istringstream fields(line.substr(end_of_name + 1));
  std::string field;
  int64_t utime = 0, stime = 0;
  for (int i = 1; i <= 13 && fields >> field; ++i) {
    if (i == 12) utime = std::strtoll(field.c_str(), nullptr, 10);
    if (i == 13) stime = std::strtoll(field.c_str(), nullptr, 10);
  }
  return absl::Seconds(static_cast<double>(utime + stime) /
                       sysconf(_SC_CLK_TCK));
}

absl::Status WorkerProcess::Send(const NormalizeRequest& request,
                                 absl::string_view image, absl::Time deadline) {
  // The image as field 1 after the rest: a parser merges the two, and the
  // bytes go to the pipe from where they are, uncopied.
  std::string image_field;
  {
    google::protobuf::io::StringOutputStream stream(&image_field);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.WriteTag(google::protobuf::internal::WireFormatLite::MakeTag(
        NormalizeRequest::kImageFieldNumber,
        google::protobuf::internal::WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
    coded.WriteVarint64(image.size());
  }
  const std::string rest = request.SerializeAsString();
  const absl::string_view pieces[] = {rest, image_field, image};
  return WriteFrame(to_worker_, pieces, deadline);
}

absl::StatusOr<NormalizeResponse> WorkerProcess::Receive(
    absl::Time deadline, size_t max_response_bytes,
    absl::FunctionRef<bool(size_t)> admit) {
  std::string frame;
  if (absl::Status s =
          ReadFrame(from_worker_, max_response_bytes, deadline, &frame, admit);
      !s.ok()) {
    return s;
  }
  NormalizeResponse response;
  if (!response.ParseFromString(frame) ||
      response.result_case() == NormalizeResponse::RESULT_NOT_SET) {
    return absl::InternalError("the normalize worker's answer is malformed");
  }
  return response;
}

}  // namespace userimage
