// The Fetcher's libcurl side: the multi loop on its own thread, the easy-handle pool, transfer
// callbacks and the retry decisions. The politeness rules it applies (token bucket, blocks,
// rate-limit headers, Retry-After, backoff, retryable statuses) live in politeness.{h,cc}.
#include "crawler/http/fetcher.h"

#include <curl/curl.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_map>

#include "core/time.h"
#include "crawler/http/politeness.h"
#include "crawler/internal/curl_handles.h"
#include "crawler/internal/http_text.h"

namespace earshot::crawler {
namespace {

using internal::ToLower;
using internal::Trim;

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// A server may send headers without end; past this the transfer is aborted like an oversized body.
constexpr size_t kMaxHeaderBytes = size_t{1} << 20;
// Released easy handles kept for reuse: enough to cover a burst, few enough not to hoard memory.
constexpr size_t kEasyPoolSize = 16;
// The poll loop wakes at least this often even when nothing is due, as a safety net.
constexpr int kMaxPollMs = 1000;

// libcurl's global state must be set up once per process before any handle exists. A function-
// local static gives exactly-once initialisation that is safe against concurrent Start() calls
// without a mutable global. curl_global_cleanup is deliberately never called: other code in the
// process may still be using libcurl, Fetchers may be created again, and the OS reclaims it all.
CURLcode GlobalInit() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

// Failures where the same request may well succeed a moment later. TLS handshake failures
// (CURLE_SSL_CONNECT_ERROR) are included because a reset during the handshake surfaces as one;
// certificate problems have their own codes and are not retried.
bool RetryableTransport(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
      return true;
    default:
      return false;
  }
}

// Replaces any request header value (and any long word of one, such as the token after "Bearer")
// found in `text`. libcurl's messages are not expected to carry them; this makes sure.
std::string Redact(std::string text,
                   const std::vector<std::pair<std::string, std::string>>& headers) {
  const auto scrub = [&text](std::string_view secret) {
    if (secret.empty()) return;
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos)) {
      text.replace(pos, secret.size(), "<redacted>");
      pos += std::strlen("<redacted>");
    }
  };
  for (const auto& [name, value] : headers) {
    const std::string_view whole = Trim(value);
    if (whole.size() >= 4) scrub(whole);
    size_t start = 0;
    while (start < whole.size()) {
      size_t end = whole.find(' ', start);
      if (end == std::string_view::npos) end = whole.size();
      if (end - start >= 8) scrub(whole.substr(start, end - start));
      start = end + 1;
    }
  }
  return text;
}

std::string Plural(int n, std::string_view word) {
  return std::to_string(n) + " " + std::string(word) + (n == 1 ? "" : "s");
}

}  // namespace

std::string_view HttpResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return {};
}

struct Fetcher::Impl {
  struct Job {
    HttpRequest request;
    Callback done;
    std::string host;  // HostKey(request.url)
    int attempts = 0;
  };

  // One transfer in flight. Heap-allocated because libcurl keeps pointers into it (error buffer,
  // callback data, the header list, the POST body) until the easy handle is removed and reset.
  struct Transfer {
    std::unique_ptr<Job> job;
    internal::CurlSlist header_list;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
    size_t max_body = 0;
    size_t header_bytes = 0;
    bool body_too_big = false;
    bool headers_too_big = false;
    char error[CURL_ERROR_SIZE] = {};
    internal::CurlEasy easy;  // last: released before anything it points into
  };

  struct Host {
    internal::HostPacer pacer;  // token bucket, blocks and pacing: when the next request may go
    std::deque<std::unique_ptr<Job>> queue;
    size_t in_flight = 0;
  };

  struct Completion {
    Callback done;
    HttpResponse response;
  };

  explicit Impl(const FetcherOptions& opts) : options(opts) {
    // Values that would stall or divide by zero are lifted to the smallest that works.
    options.max_transfers = std::max<size_t>(1, options.max_transfers);
    options.max_transfers_per_host = std::max<size_t>(1, options.max_transfers_per_host);
    options.max_attempts = std::max(1, options.max_attempts);
    if (!(options.default_requests_per_minute > 0)) options.default_requests_per_minute = 60;
    options.backoff_base = std::max(Millis(0), options.backoff_base);
    options.backoff_cap = std::max(options.backoff_base, options.backoff_cap);
    const uint64_t seed = options.jitter_seed != 0
                              ? options.jitter_seed
                              : static_cast<uint64_t>(Clock::now().time_since_epoch().count());
    rng.seed(seed);
  }

  // ---- Fetcher thread ----

  void Run() {
    std::vector<Completion> completions;
    while (true) {
      std::vector<std::unique_ptr<Job>> incoming;
      {
        std::lock_guard lock(inbox_mu);
        if (stopping) break;
        incoming.swap(inbox);
      }
      int running = 0;
      curl_multi_perform(multi.get(), &running);  // errors surface per transfer via info_read
      int wait_ms = kMaxPollMs;
      {
        std::lock_guard lock(state_mu);
        const Clock::time_point now = Clock::now();
        for (auto& job : incoming) Route(std::move(job), completions);
        Reap(now, completions);
        wait_ms = StartEligible(now, completions);
      }
      Deliver(completions);
      if (curl_multi_poll(multi.get(), nullptr, 0, wait_ms, nullptr) != CURLM_OK) {
        // Only on resource exhaustion; pause rather than spin.
        std::this_thread::sleep_for(Millis(10));
      }
    }
    Shutdown();
  }

  static HttpResponse Failure(const Job& job, core::Status status) {
    HttpResponse response;
    response.transport = std::move(status);
    response.attempts = job.attempts;
    response.url = job.request.url;
    return response;
  }

  static std::string Describe(const Job& job) { return job.request.method + " " + job.request.url; }

  void Complete(std::unique_ptr<Job> job, HttpResponse response, std::vector<Completion>& out) {
    out.push_back(Completion{std::move(job->done), std::move(response)});
  }

  // Callbacks run here, with no lock held, so they may call Submit, stats() or hosts().
  static void Deliver(std::vector<Completion>& completions) {
    for (auto& completion : completions) {
      if (completion.done) completion.done(std::move(completion.response));
    }
    completions.clear();
  }

  // Validates a submitted request and queues it on its host. Holds state_mu.
  void Route(std::unique_ptr<Job> job, std::vector<Completion>& out) {
    HttpRequest& request = job->request;
    if (const std::string method = ToLower(request.method); method == "get" || method == "post") {
      request.method = method == "get" ? "GET" : "POST";
    }
    if (request.method != "GET" && request.method != "POST") {
      HttpResponse response = Failure(
          *job,
          core::Status::InvalidArgument("request method must be GET or POST: " + Describe(*job)));
      return Complete(std::move(job), std::move(response), out);
    }
    job->host = HostKey(request.url);
    if (!job->host.starts_with("http://") && !job->host.starts_with("https://")) {
      HttpResponse response = Failure(
          *job,
          core::Status::InvalidArgument(Describe(*job) + ": not an http(s) URL libcurl can parse"));
      return Complete(std::move(job), std::move(response), out);
    }
    for (size_t i = 0; i < request.headers.size(); ++i) {
      const auto& [name, value] = request.headers[i];
      const bool bad_name = name.empty() ||
                            name.find_first_of(":\r\n \t", 0) != std::string::npos ||
                            name.find('\0') != std::string::npos;
      const bool bad_value = value.find_first_of("\r\n", 0) != std::string::npos ||
                             value.find('\0') != std::string::npos;
      if (bad_name || bad_value) {
        // Neither the name nor the value is quoted: a malformed one may be a pasted secret.
        HttpResponse response =
            Failure(*job, core::Status::InvalidArgument(Describe(*job) + ": request header #" +
                                                        std::to_string(i + 1) + " is malformed"));
        return Complete(std::move(job), std::move(response), out);
      }
    }
    Host& host = HostFor(job->host, Clock::now());
    host.queue.push_back(std::move(job));
  }

  // Holds state_mu.
  Host& HostFor(const std::string& key, Clock::time_point now) {
    auto [it, inserted] = hosts.try_emplace(key);
    Host& host = it->second;
    if (inserted) host.pacer.Init(options.default_requests_per_minute, now);
    return host;
  }

  // Starts every transfer that is due, one per host per round so a busy host cannot take every
  // slot. Returns how long the loop may sleep before something else becomes due. Holds state_mu.
  int StartEligible(Clock::time_point now, std::vector<Completion>& out) {
    Clock::time_point next = now + Millis(kMaxPollMs);
    bool started = true;
    while (started && active.size() < options.max_transfers) {
      started = false;
      // Each pass begins after the host served last, so when slots are scarce no host always wins.
      auto it = hosts.upper_bound(last_served);
      for (size_t n = 0; n < hosts.size() && active.size() < options.max_transfers; ++n, ++it) {
        if (it == hosts.end()) it = hosts.begin();
        auto& [key, host] = *it;
        if (host.queue.empty() || host.in_flight >= options.max_transfers_per_host) continue;
        const Clock::time_point at = host.pacer.EligibleAt(now);
        if (at > now) {
          next = std::min(next, at);
          continue;
        }
        StartOne(host, now, out);
        last_served = key;
        started = true;
      }
    }
    const auto wait = std::chrono::ceil<Millis>(next - now).count();
    return static_cast<int>(std::clamp<decltype(wait)>(wait, 0, kMaxPollMs));
  }

  // Holds state_mu.
  void StartOne(Host& host, Clock::time_point now, std::vector<Completion>& out) {
    std::unique_ptr<Job> job = std::move(host.queue.front());
    host.queue.pop_front();
    host.pacer.Sent(now);
    ++stats.requests;
    if (job->attempts > 0) ++stats.retries;
    ++job->attempts;

    auto transfer = std::make_unique<Transfer>();
    transfer->job = std::move(job);
    transfer->max_body = options.max_body_bytes;
    if (!pool.empty()) {
      transfer->easy = std::move(pool.back());
      pool.pop_back();
    } else {
      transfer->easy.reset(curl_easy_init());
    }
    core::Status status =
        transfer->easy ? Configure(*transfer) : core::Status::Internal("curl_easy_init failed");
    if (status.ok()) {
      if (const CURLMcode rc = curl_multi_add_handle(multi.get(), transfer->easy.get());
          rc != CURLM_OK) {
        status = core::Status::Internal(std::string("curl_multi_add_handle: ") +
                                        curl_multi_strerror(rc));
      }
    }
    if (!status.ok()) {
      Job& failed = *transfer->job;
      HttpResponse response = Failure(failed, status.WithContext(Describe(failed)));
      Recycle(std::move(transfer->easy));
      return Complete(std::move(transfer->job), std::move(response), out);
    }
    ++host.in_flight;
    CURL* easy = transfer->easy.get();
    active.emplace(easy, std::move(transfer));
  }

  core::Status Configure(Transfer& transfer) {
    CURL* easy = transfer.easy.get();
    const HttpRequest& request = transfer.job->request;
    for (const auto& [name, value] : request.headers) {
      // "Name;" is libcurl's spelling of a header sent with an empty value ("Name:" removes it).
      const std::string line = value.empty() ? name + ";" : name + ": " + value;
      if (!internal::AppendSlist(transfer.header_list, line.c_str())) {
        return core::Status::Internal("curl_slist_append failed");
      }
    }
    CURLcode rc = CURLE_OK;
    const auto check = [&rc](CURLcode result) {
      if (rc == CURLE_OK) rc = result;
    };
    check(curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str()));
    check(curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
    check(curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 1L));
    check(curl_easy_setopt(easy, CURLOPT_MAXREDIRS, 5L));
    // "": offer every encoding this libcurl can decode (gzip, deflate, br, zstd here).
    check(curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""));
    check(curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS)));
    // Wait for an existing connection that may multiplex rather than open one more per request.
    check(curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L));
    check(curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str()));
    check(curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(options.connect_timeout.count())));
    check(curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                           static_cast<long>(options.request_timeout.count())));
    check(curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L));
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L));
    check(curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L));
    check(curl_easy_setopt(easy, CURLOPT_HTTPHEADER, transfer.header_list.get()));
    check(curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &Impl::OnBody));
    check(curl_easy_setopt(easy, CURLOPT_WRITEDATA, static_cast<void*>(&transfer)));
    check(curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &Impl::OnHeader));
    check(curl_easy_setopt(easy, CURLOPT_HEADERDATA, static_cast<void*>(&transfer)));
    check(curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, transfer.error));
    if (request.method == "POST") {
      check(curl_easy_setopt(easy, CURLOPT_POST, 1L));
      check(curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())));
      check(curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()));  // lives in the Job
    } else {
      check(curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L));
    }
    if (rc != CURLE_OK) {
      return core::Status::Internal(std::string("curl_easy_setopt: ") + curl_easy_strerror(rc));
    }
    return core::Status::Ok();
  }

  static size_t OnBody(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t length = size * count;
    if (length > transfer.max_body - transfer.body.size()) {
      transfer.body_too_big = true;
      return 0;  // makes libcurl abort the transfer with CURLE_WRITE_ERROR
    }
    transfer.body.append(data, length);
    return length;
  }

  static size_t OnHeader(char* data, size_t size, size_t count, void* user) {
    auto& transfer = *static_cast<Transfer*>(user);
    const size_t length = size * count;
    transfer.header_bytes += length;
    if (transfer.header_bytes > kMaxHeaderBytes) {
      transfer.headers_too_big = true;
      return 0;
    }
    std::string_view line(data, length);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (line.starts_with("HTTP/")) {
      // A new status line: redirects and 100 Continue each bring a block; keep only the last.
      transfer.headers.clear();
    } else if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
      if (!transfer.headers.empty()) {  // obsolete line folding continues the previous value
        transfer.headers.back().second += " ";
        transfer.headers.back().second += Trim(line);
      }
    } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      transfer.headers.emplace_back(ToLower(Trim(line.substr(0, colon))),
                                    std::string(Trim(line.substr(colon + 1))));
    }
    return length;
  }

  // Returns an easy handle to the pool, wiped so it holds no pointer into a finished transfer but
  // keeps its TLS session and DNS caches (curl_easy_reset leaves those alone).
  void Recycle(internal::CurlEasy easy) {
    if (!easy) return;
    curl_easy_reset(easy.get());
    if (pool.size() < kEasyPoolSize) pool.push_back(std::move(easy));
  }

  // Collects finished transfers and decides: deliver, or retry later. Holds state_mu.
  void Reap(Clock::time_point now, std::vector<Completion>& out) {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi.get(), &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      const CURLcode result = message->data.result;  // `message` dies with remove_handle
      const auto it = active.find(easy);
      if (it == active.end()) continue;
      std::unique_ptr<Transfer> transfer = std::move(it->second);
      active.erase(it);
      curl_multi_remove_handle(multi.get(), easy);
      Finish(std::move(transfer), result, now, out);
    }
  }

  void Finish(std::unique_ptr<Transfer> transfer, CURLcode result, Clock::time_point now,
              std::vector<Completion>& out) {
    std::unique_ptr<Job> job = std::move(transfer->job);
    Host& host = HostFor(job->host, now);
    --host.in_flight;
    long code = 0;
    curl_easy_getinfo(transfer->easy.get(), CURLINFO_RESPONSE_CODE, &code);
    Recycle(std::move(transfer->easy));

    HttpResponse response;
    response.attempts = job->attempts;
    response.url = job->request.url;
    const std::string what = Describe(*job);

    if (transfer->body_too_big || transfer->headers_too_big) {
      // An answer arrived, but the same page would be too big again: no retry.
      ++stats.responses;
      response.code = code;
      response.transport = core::Status::ResourceExhausted(
          transfer->body_too_big
              ? what + ": response body over " + std::to_string(options.max_body_bytes) + " bytes"
              : what + ": response headers over " + std::to_string(kMaxHeaderBytes) + " bytes");
      return Complete(std::move(job), std::move(response), out);
    }

    if (result != CURLE_OK) {
      ++stats.transport_errors;
      const std::string error =
          Redact(transfer->error[0] != '\0' ? transfer->error : curl_easy_strerror(result),
                 job->request.headers);
      response.transport = core::Status::Unavailable(what + ": " + error + " (after " +
                                                     Plural(job->attempts, "attempt") + ")");
      if (!RetryableTransport(result)) return Complete(std::move(job), std::move(response), out);
      const Millis wait = Backoff(job->attempts);
      return RetryOrDeliver(host, std::move(job), wait, "backoff after " + error,
                            std::move(response), now, out);
    }

    ++stats.responses;
    stats.bytes += transfer->body.size();
    if (code == 304) ++stats.not_modified;
    response.code = code;
    response.body = std::move(transfer->body);
    response.headers = std::move(transfer->headers);
    if (host.pacer.ApplyServerBudget(response, now, core::NowMillis())) ++stats.rate_limited;

    const internal::StatusVerdict verdict = internal::ClassifyStatus(code, response.body);
    if (!verdict.retryable) return Complete(std::move(job), std::move(response), out);
    if (verdict.rate_limited) ++stats.rate_limited;
    if (verdict.honours_retry_after) {
      if (const auto delay =
              internal::ParseRetryAfterMillis(response.Header("retry-after"), core::NowMillis())) {
        return RetryOrDeliver(host, std::move(job), Millis(*delay), "Retry-After",
                              std::move(response), now, out);
      }
    }
    const Millis wait = Backoff(job->attempts);
    return RetryOrDeliver(host, std::move(job), wait, "backoff after HTTP " + std::to_string(code),
                          std::move(response), now, out);
  }

  // Blocks the host for `wait` (it is the server, not just this request, that is struggling), then
  // requeues the job at the front of its host's queue, or delivers `response` when attempts are
  // used up or the wait is longer than the caller agreed to wait.
  void RetryOrDeliver(Host& host, std::unique_ptr<Job> job, Millis wait, std::string reason,
                      HttpResponse response, Clock::time_point now, std::vector<Completion>& out) {
    host.pacer.Block(now, core::NowMillis(), wait, std::move(reason));
    if (job->attempts >= options.max_attempts || wait > options.max_retry_wait) {
      return Complete(std::move(job), std::move(response), out);
    }
    host.queue.push_front(std::move(job));
  }

  // Equal jitter (see internal::EqualJitterBackoff), drawn from this fetcher's generator.
  Millis Backoff(int attempts) {
    return internal::EqualJitterBackoff(attempts, options.backoff_base, options.backoff_cap, rng);
  }

  // Completes everything still outstanding with Cancelled, then closes the inbox. Callbacks may
  // Submit while this runs; those requests are cancelled too.
  void Shutdown() {
    std::vector<Completion> completions;
    {
      std::lock_guard lock(state_mu);
      for (auto& [easy, transfer] : active) {
        curl_multi_remove_handle(multi.get(), easy);
        Job& job = *transfer->job;
        --HostFor(job.host, Clock::now()).in_flight;
        HttpResponse response =
            Failure(job, core::Status::Cancelled(Describe(job) + ": fetcher shut down"));
        Complete(std::move(transfer->job), std::move(response), completions);
      }
      active.clear();
      for (auto& [key, host] : hosts) {
        for (auto& job : host.queue) {
          HttpResponse response =
              Failure(*job, core::Status::Cancelled(Describe(*job) + ": fetcher shut down"));
          Complete(std::move(job), std::move(response), completions);
        }
        host.queue.clear();
      }
    }
    Deliver(completions);
    while (true) {
      std::vector<std::unique_ptr<Job>> incoming;
      {
        std::lock_guard lock(inbox_mu);
        if (inbox.empty()) {
          closed = true;
          break;
        }
        incoming.swap(inbox);
      }
      for (auto& job : incoming) {
        HttpResponse response =
            Failure(*job, core::Status::Cancelled(Describe(*job) + ": fetcher shut down"));
        Complete(std::move(job), std::move(response), completions);
      }
      Deliver(completions);
    }
  }

  FetcherOptions options;

  // Fetcher thread only.
  std::mt19937_64 rng;
  std::vector<internal::CurlEasy> pool;
  std::unordered_map<CURL*, std::unique_ptr<Transfer>> active;
  std::string last_served;  // host key of the last transfer started, for round-robin

  // Set once in Start(); curl_multi_wakeup on it is safe from any thread.
  internal::CurlMulti multi;

  std::mutex inbox_mu;
  std::vector<std::unique_ptr<Job>> inbox;  // guarded by inbox_mu
  bool stopping = false;                    // guarded by inbox_mu
  bool closed = false;                      // guarded by inbox_mu: the thread takes no more work

  mutable std::mutex state_mu;
  std::map<std::string, Host> hosts;  // guarded by state_mu
  FetcherStats stats;                 // guarded by state_mu

  std::thread thread;
};

core::Result<std::unique_ptr<Fetcher>> Fetcher::Start(const FetcherOptions& options) {
  if (const CURLcode rc = GlobalInit(); rc != CURLE_OK) {
    return core::Status::Internal(std::string("curl_global_init: ") + curl_easy_strerror(rc));
  }
  auto impl = std::make_unique<Impl>(options);
  impl->multi.reset(curl_multi_init());
  if (!impl->multi) return core::Status::Internal("curl_multi_init failed");
  CURLM* multi = impl->multi.get();
  const auto total = static_cast<long>(impl->options.max_transfers);
  const auto per_host = static_cast<long>(impl->options.max_transfers_per_host);
  CURLMcode rc = CURLM_OK;
  const auto check = [&rc](CURLMcode result) {
    if (rc == CURLM_OK) rc = result;
  };
  check(curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, total));
  check(curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, per_host));
  // Idle connections kept for reuse: one per possible transfer, so a busy crawl reconnects rarely.
  check(curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, total));
  check(curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX));
  if (rc != CURLM_OK) {
    return core::Status::Internal(std::string("curl_multi_setopt: ") + curl_multi_strerror(rc));
  }
  // The constructor is private so only Start() makes Fetchers; make_unique cannot reach it, so
  // the object is handed to its owner on the line that creates it.
  std::unique_ptr<Fetcher> fetcher(new Fetcher());
  try {
    impl->thread = std::thread([raw = impl.get()] { raw->Run(); });
  } catch (const std::system_error& error) {
    return core::Status::Internal(std::string("starting the fetcher thread: ") + error.what());
  }
  fetcher->impl_ = std::move(impl);
  return fetcher;
}

Fetcher::~Fetcher() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->inbox_mu);
    impl_->stopping = true;
  }
  curl_multi_wakeup(impl_->multi.get());
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Fetcher::Submit(HttpRequest request, Callback done) {
  auto job = std::make_unique<Impl::Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  {
    std::lock_guard lock(impl_->inbox_mu);
    if (!impl_->closed) impl_->inbox.push_back(std::move(job));
  }
  if (job) {
    // The thread has already cancelled everything and exited (a callback submitting during
    // shutdown): completing here is the only way to keep "called exactly once".
    HttpResponse response =
        Impl::Failure(*job, core::Status::Cancelled(Impl::Describe(*job) + ": fetcher shut down"));
    if (job->done) job->done(std::move(response));
    return;
  }
  curl_multi_wakeup(impl_->multi.get());
}

void Fetcher::LimitHost(std::string_view url, double requests_per_minute) {
  if (!(requests_per_minute > 0) || !std::isfinite(requests_per_minute)) return;
  const std::string key = HostKey(url);
  if (key.empty()) return;
  {
    std::lock_guard lock(impl_->state_mu);
    const Clock::time_point now = Clock::now();
    impl_->HostFor(key, now).pacer.Limit(requests_per_minute, now);
  }
  curl_multi_wakeup(impl_->multi.get());
}

std::string Fetcher::HostKey(std::string_view url) {
  if (GlobalInit() != CURLE_OK) return {};
  internal::CurlUrl parsed(curl_url());
  if (!parsed) return {};
  const std::string text(url);
  if (curl_url_set(parsed.get(), CURLUPART_URL, text.c_str(), 0) != CURLUE_OK) return {};
  const auto part = [&parsed](CURLUPart which, unsigned flags) -> std::optional<std::string> {
    char* raw = nullptr;
    if (curl_url_get(parsed.get(), which, &raw, flags) != CURLUE_OK) return std::nullopt;
    const internal::CurlString owned(raw);
    return std::string(owned.get());
  };
  const auto scheme = part(CURLUPART_SCHEME, 0);
  const auto host = part(CURLUPART_HOST, 0);
  const auto port = part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
  if (!scheme || !host || !port || host->empty()) return {};
  return ToLower(*scheme) + "://" + ToLower(*host) + ":" + *port;
}

FetcherStats Fetcher::stats() const {
  std::lock_guard lock(impl_->state_mu);
  return impl_->stats;
}

std::vector<HostState> Fetcher::hosts() const {
  std::lock_guard lock(impl_->state_mu);
  std::vector<HostState> out;
  out.reserve(impl_->hosts.size());
  for (const auto& [key, host] : impl_->hosts) {
    HostState state;
    state.host = key;
    state.requests_per_minute = host.pacer.requests_per_minute;
    state.blocked_until_ms = host.pacer.blocked_until_ms;
    state.blocked_reason = host.pacer.blocked_reason;
    state.queued = host.queue.size();
    state.in_flight = host.in_flight;
    state.requests = host.pacer.requests;
    out.push_back(std::move(state));
  }
  return out;
}

}  // namespace earshot::crawler
