#ifndef TESTS_TESTING_LOCAL_HTTP_SERVER_H_
#define TESTS_TESTING_LOCAL_HTTP_SERVER_H_

#include <sys/socket.h>

#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "httplib.h"

namespace userimage {

// An httplib HTTP server on 127.0.0.1 and a port the OS chose, serving from
// a background thread until destroyed; routes may be added through server()
// at any time. It takes many connections at once: a thread per connection
// (httplib serves a kept-alive connection with one thread until it idles
// out) up to `threads`, and a listen backlog of 1024 instead of httplib's
// compiled-in 5, beyond which new connections would wait out SYN
// retransmissions (1 s, 3 s, 7 s, ...). For tests.
class LocalHttpServer {
 public:
  explicit LocalHttpServer(int threads = 128) {
    server_.new_task_queue = [threads] {
      return new httplib::ThreadPool(threads);
    };
    server_.set_socket_options([this](int fd) {
      const int one = 1;
      setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
      listening_ = fd;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    listen(listening_, 1024);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~LocalHttpServer() {
    server_.stop();
    thread_.join();
  }
  LocalHttpServer(const LocalHttpServer&) = delete;
  LocalHttpServer& operator=(const LocalHttpServer&) = delete;

  httplib::Server& server() { return server_; }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }

 private:
  httplib::Server server_;
  int listening_ = -1;
  int port_ = 0;
  std::thread thread_;
};

}  // namespace userimage

#endif  // TESTS_TESTING_LOCAL_HTTP_SERVER_H_
