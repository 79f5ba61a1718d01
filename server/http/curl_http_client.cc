#include "server/http/curl_http_client.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/base/call_once.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "server/config/secret_memory.h"
#include "server/http/curl_handle.h"

namespace userimage {

// One request in flight: owns its easy handle, header list, MIME body and
// the response being collected. Lives on the I/O thread once started.
struct CurlHttpClient::Transfer {
  TransferId id = 0;
  HttpRequest request;
  Callback done;
  HttpResponse response;
  // Declared before `easy`, so freed after it, as libcurl asks.
  CurlSlist headers;
  CurlMime mime;
  std::optional<CurlHandle> easy;
  size_t body_offset = 0;  // Read position in the multipart file's data.
  size_t upload_buffer_bytes = 0;  // CURLOPT_UPLOAD_BUFFERSIZE, if a body.
  bool body_written = false;       // The whole file part went to libcurl once.
  char error[CURL_ERROR_SIZE] = {0};
  // The body outgrew request.max_response_bytes, and the transfer stopped.
  bool response_too_large = false;

  // How the transfer ended, once libcurl reported `result`.
  HttpResult ResultOf(CURL* easy, CURLcode result);

  // CURLOPT_WRITEFUNCTION: keeps the body within request.max_response_bytes
  // (returning less than it was given stops the transfer).
  static size_t Write(char* data, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const size_t n = size * count;
    if (t->response.body.size() + n > t->request.max_response_bytes) {
      t->response_too_large = true;
      t->response.body.clear();
      t->response.body.shrink_to_fit();
      return 0;
    }
    t->response.body.append(data, n);
    return n;
  }

  // curl_mime_data_cb callbacks: stream the file part from `request`'s
  // shared buffer without copying it first.
  static size_t Read(char* buffer, size_t size, size_t count, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string& data = *t->request.multipart_file->data;
    const size_t n = std::min(size * count, data.size() - t->body_offset);
    std::copy_n(data.data() + t->body_offset, n, buffer);
    t->body_offset += n;
    if (t->body_offset == data.size()) t->body_written = true;
    return n;
  }

  static int Seek(void* user, curl_off_t offset, int origin) {
    auto* t = static_cast<Transfer*>(user);
    if (origin != SEEK_SET || offset < 0 ||
        static_cast<size_t>(offset) > t->request.multipart_file->data->size()) {
      return CURL_SEEKFUNC_FAIL;
    }
    t->body_offset = static_cast<size_t>(offset);
    return CURL_SEEKFUNC_OK;
  }

  // Header values may carry credentials (the Clerk key): wiped, not just
  // freed. `headers`, the copy libcurl sends, wipes itself.
  ~Transfer() {
    if (request.abort != nullptr) request.abort->Clear();
    for (auto& header : request.headers) Wipe(header.second);
  }
};

namespace {

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  absl::string_view line(data, size * count);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line (after 100 Continue or a redirect) starts afresh.
    response->headers.clear();
    return size * count;
  }
  const size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    response->headers.emplace_back(
        absl::AsciiStrToLower(line.substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  }
  return size * count;
}

absl::Status Aborted() {
  return absl::CancelledError("the request was aborted");
}

// Whether libcurl failed on the TLS setup or the peer's certificate: a
// configuration to fix, not an outage to wait out.
bool IsTlsSetupFailure(CURLcode code) {
  switch (code) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_NOT_BUILT_IN:
      return true;
    default:
      return false;
  }
}

absl::Status TransportError(CURLcode code, const char* detail) {
  std::string message = absl::StrCat(curl_easy_strerror(code),
                                     *detail ? absl::StrCat(": ", detail) : "");
  if (code == CURLE_OPERATION_TIMEDOUT) {
    return absl::DeadlineExceededError(message);
  }
  if (IsTlsSetupFailure(code)) return absl::FailedPreconditionError(message);
  return absl::UnavailableError(message);
}

}  // namespace

size_t UploadBufferBytes(size_t body_bytes, size_t buffers_in_use) {
  // Room for the part's headers and the closing boundary too.
  const size_t wanted =
      std::min(body_bytes + 1024, CurlHttpClient::kMaxUploadBuffer);
  const size_t left = CurlHttpClient::kUploadBuffersBytes > buffers_in_use
                          ? CurlHttpClient::kUploadBuffersBytes - buffers_in_use
                          : 0;
  return std::max(std::min(wanted, left), CurlHttpClient::kMinUploadBuffer);
}

HttpResult CurlHttpClient::Transfer::ResultOf(CURL* easy, CURLcode result) {
  if (response_too_large) {
    return absl::OutOfRangeError(
        absl::StrCat("the response body is larger than ",
                     request.max_response_bytes, " bytes"));
  }
  if (result != CURLE_OK) {
    // Headers out and, if there is one, the whole body: the server may have
    // acted on it.
    long request_size = 0;
    curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &request_size);
    const bool sent = request_size > 0 &&
                      (!request.multipart_file.has_value() || body_written);
    return HttpResult(TransportError(result, error), sent);
  }
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return std::move(response);
}

CurlHttpClient::CurlHttpClient(Options options)
    : options_(std::move(options)), multi_([] {
        static absl::once_flag once;
        absl::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
        return curl_multi_init();
      }()) {
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    options_.max_cached_connections);
  // The same cap as timers_ was told: it wakes the loop only for timers
  // due sooner than that.
  absl::StatusOr<std::unique_ptr<CurlEventLoop>> loop =
      CurlEventLoop::Create(multi_, CurlEventLoop::kMaxWait);
  if (!loop.ok()) {
    broken_ = loop.status();
    return;
  }
  loop_ = *std::move(loop);
  thread_ = std::thread([this] { Run(); });
}

CurlHttpClient::~CurlHttpClient() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  // Completions still queued may send, schedule or abort: the multi handle
  // and mu_ must still be alive while they run.
  callbacks_.Shutdown();
  loop_.reset();
  curl_multi_cleanup(multi_);
}

void CurlHttpClient::Wake() {
  if (loop_ != nullptr) loop_->Wake();
}

void CurlHttpClient::Deliver(Callback done, HttpResult result) {
  callbacks_.Post(
      [done = std::move(done), result = std::move(result)]() mutable {
        std::move(done)(std::move(result));
      });
}

void CurlHttpClient::Send(HttpRequest request, Callback done) {
  if (request.abort != nullptr && request.abort->aborted()) {
    Deliver(std::move(done), Aborted());
    return;
  }
  if (!broken_.ok()) {
    Deliver(std::move(done), broken_);
    return;
  }
  auto transfer = std::make_unique<Transfer>();
  transfer->request = std::move(request);
  transfer->done = std::move(done);
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_) {
      transfer->id = next_transfer_++;
      queued_.push_back(std::move(transfer));
    }
  }
  if (transfer != nullptr) {  // Not queued: the client is shutting down.
    Deliver(std::move(transfer->done),
            absl::CancelledError("HTTP client is shut down"));
    return;
  }
  Wake();
}

void CurlHttpClient::RequestAbort(TransferId id) {
  {
    absl::MutexLock lock(&mu_);
    aborting_.push_back(id);
  }
  Wake();
}

void CurlHttpClient::AbortInFlight() {
  {
    absl::MutexLock lock(&mu_);
    abort_all_ = true;
  }
  Wake();
}

absl::Duration CurlHttpClient::PostDueTimers() {
  absl::Duration next;
  for (auto& callback : timers_.TakeDue(absl::Now(), &next)) {
    callbacks_.Post(std::move(callback));
  }
  return next;
}

absl::Status CurlHttpClient::Configure(Transfer& t,
                                       size_t upload_buffers_in_use) const {
  absl::StatusOr<CurlHandle> handle = CurlHandle::Create();
  if (!handle.ok()) return handle.status();
  t.easy.emplace(*std::move(handle));
  CurlHandle& easy = *t.easy;
  const HttpRequest& request = t.request;
  absl::Status s;  // The first option libcurl refuses, if any.
  s.Update(easy.SetOption(CURLOPT_URL, request.url.c_str()));
  s.Update(easy.SetOption(CURLOPT_PRIVATE, &t));
  s.Update(easy.SetOption(CURLOPT_ERRORBUFFER, t.error));
  s.Update(easy.SetOption(CURLOPT_NOSIGNAL, 1L));
  s.Update(easy.SetOption(CURLOPT_PROTOCOLS_STR, "http,https"));
  s.Update(easy.SetOption(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS));
  s.Update(easy.SetOption(CURLOPT_TIMEOUT_MS,
                          static_cast<long>(std::max<int64_t>(
                              1, absl::ToInt64Milliseconds(request.timeout)))));
  s.Update(easy.SetOption(
      CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(std::max<int64_t>(
          1, absl::ToInt64Milliseconds(request.connect_timeout)))));
  s.Update(easy.SetOption(CURLOPT_USERAGENT, options_.user_agent.c_str()));
  s.Update(easy.SetOption(CURLOPT_WRITEFUNCTION, &Transfer::Write));
  s.Update(easy.SetOption(CURLOPT_WRITEDATA, &t));
  s.Update(easy.SetOption(CURLOPT_BUFFERSIZE, kReceiveBufferBytes));
  s.Update(easy.SetOption(CURLOPT_HEADERFUNCTION, OnHeader));
  s.Update(easy.SetOption(CURLOPT_HEADERDATA, &t.response));
  // An empty "Expect:" stops libcurl from waiting for 100 Continue before
  // sending a large body.
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  for (const auto& [name, value] : request.headers) {
    std::string line = absl::StrCat(name, ": ", value);
    headers = curl_slist_append(headers, line.c_str());
    Wipe(line);  // It may hold the Authorization header.
  }
  t.headers.reset(headers);
  s.Update(easy.SetOption(CURLOPT_HTTPHEADER, headers));
  if (request.multipart_file) {
    const MultipartFile& file = *request.multipart_file;
    t.mime.reset(curl_mime_init(easy.get()));
    curl_mimepart* part = curl_mime_addpart(t.mime.get());
    curl_mime_name(part, file.field_name.c_str());
    curl_mime_filename(part, file.filename.c_str());
    curl_mime_type(part, file.content_type.c_str());
    curl_mime_data_cb(part, static_cast<curl_off_t>(file.data->size()),
                      Transfer::Read, Transfer::Seek, nullptr, &t);
    s.Update(easy.SetOption(CURLOPT_MIMEPOST, t.mime.get()));
    t.upload_buffer_bytes =
        UploadBufferBytes(file.data->size(), upload_buffers_in_use);
    s.Update(easy.SetOption(CURLOPT_UPLOAD_BUFFERSIZE,
                            static_cast<long>(t.upload_buffer_bytes)));
  }
  if (request.method != "GET" && !(request.method == "POST" && t.mime)) {
    s.Update(easy.SetOption(CURLOPT_CUSTOMREQUEST, request.method.c_str()));
  }
  return s;
}

void CurlHttpClient::Start(std::unique_ptr<Transfer> transfer) {
  Transfer* t = transfer.get();
  const HttpRequest& request = t->request;
  // Registered here, on the I/O thread, before the transfer can complete
  // (~Transfer clears it, on this thread too); an abort it triggers is
  // handled on the next turn of the loop, with the transfer in flight.
  if (request.abort != nullptr &&
      !request.abort->OnAbort([this, id = t->id] { RequestAbort(id); })) {
    Callback done = std::move(t->done);
    transfer.reset();
    Deliver(std::move(done), Aborted());
    return;
  }
  if (absl::Status s = Configure(*t, upload_buffers_in_use_); !s.ok()) {
    Callback done = std::move(t->done);
    transfer.reset();
    Deliver(std::move(done), std::move(s));
    return;
  }
  CURL* easy = t->easy->get();
  CURLMcode added = curl_multi_add_handle(multi_, easy);
  if (added != CURLM_OK) {
    Callback done = std::move(t->done);
    transfer.reset();
    Deliver(std::move(done),
            absl::InternalError(absl::StrCat("curl_multi_add_handle: ",
                                             curl_multi_strerror(added))));
    return;
  }
  upload_buffers_in_use_ += t->upload_buffer_bytes;
  in_flight_.emplace(t->id, transfer.release());  // Freed by Complete().
}

void CurlHttpClient::Abort(TransferId id) {
  auto it = in_flight_.find(id);
  if (it == in_flight_.end()) return;  // Completed first: nothing to abort.
  std::unique_ptr<Transfer> t(it->second);
  in_flight_.erase(it);
  upload_buffers_in_use_ -= t->upload_buffer_bytes;
  curl_multi_remove_handle(multi_, t->easy->get());
  // Freed before `done` can run: the image bytes it shares are let go.
  Callback done = std::move(t->done);
  t.reset();
  Deliver(std::move(done), Aborted());
}

void CurlHttpClient::Complete(CURL* easy, CURLcode result) {
  Transfer* raw = nullptr;
  curl_easy_getinfo(easy, CURLINFO_PRIVATE, &raw);
  std::unique_ptr<Transfer> t(raw);
  in_flight_.erase(raw->id);
  upload_buffers_in_use_ -= t->upload_buffer_bytes;
  curl_multi_remove_handle(multi_, easy);
  HttpResult outcome = t->ResultOf(easy, result);
  // Freed before `done` can run: the image bytes it shares are let go.
  Callback done = std::move(t->done);
  t.reset();
  Deliver(std::move(done), std::move(outcome));
}

void CurlHttpClient::CompleteFinished() {
  int remaining = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &remaining)) {
    if (msg->msg == CURLMSG_DONE) Complete(msg->easy_handle, msg->data.result);
  }
}

void CurlHttpClient::Run() {
  while (true) {
    std::deque<std::unique_ptr<Transfer>> starting;
    std::vector<TransferId> aborting;
    bool stopping;
    bool abort_all;
    {
      absl::MutexLock lock(&mu_);
      starting.swap(queued_);
      aborting.swap(aborting_);
      stopping = stopping_;
      abort_all = std::exchange(abort_all_, false);
    }
    if (stopping) {
      for (auto& t : starting) {
        Deliver(std::move(t->done),
                absl::CancelledError("HTTP client is shut down"));
      }
      break;
    }
    for (auto& t : starting) Start(std::move(t));
    if (abort_all) {
      for (const auto& [id, t] : in_flight_) aborting.push_back(id);
    }
    for (TransferId id : aborting) Abort(id);
    CompleteFinished();
    // Wakes for I/O on the transfers' sockets, libcurl's own timeouts,
    // Wake() (a new request, abort or timer) or the next timer.
    loop_->RunOnce(PostDueTimers());
    CompleteFinished();
  }
  // Shut down: abandon every transfer still in flight.
  for (const auto& [id, raw] : in_flight_) {
    std::unique_ptr<Transfer> t(raw);
    curl_multi_remove_handle(multi_, t->easy->get());
    Callback done = std::move(t->done);
    t.reset();
    Deliver(std::move(done), absl::CancelledError("HTTP client is shut down"));
  }
  in_flight_.clear();
  upload_buffers_in_use_ = 0;
  timers_.DropAll();
}

}  // namespace userimage
