#include "crawler/http/politeness.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <system_error>
#include <utility>

#include "core/time.h"
#include "crawler/internal/http_text.h"

namespace earshot::crawler::internal {
namespace {

using Millis = std::chrono::milliseconds;

// The whole of `text` as a finite number ("95.0" from Reddit, "1752746400"), or nullopt.
std::optional<double> ParseNumber(std::string_view text) {
  text = Trim(text);
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

// IMF-fixdate (and the obsolete RFC 850 / asctime forms) as Unix ms, via curl's own parser.
std::optional<int64_t> ParseHttpDateMillis(std::string_view text) {
  const std::string copy(Trim(text));  // curl_getdate wants a NUL-terminated string
  const time_t seconds = curl_getdate(copy.c_str(), nullptr);
  if (seconds == -1) return std::nullopt;
  return static_cast<int64_t>(seconds) * 1000;
}

}  // namespace

std::optional<int64_t> ParseRetryAfterMillis(std::string_view text, int64_t now_ms) {
  if (const auto seconds = ParseNumber(text)) {
    if (*seconds < 0) return std::nullopt;
    return static_cast<int64_t>(std::min(*seconds, 1e12) * 1000);
  }
  if (const auto at = ParseHttpDateMillis(text)) return std::max<int64_t>(0, *at - now_ms);
  return std::nullopt;
}

std::optional<int64_t> ParseResetMillis(std::string_view text, int64_t now_ms) {
  if (const auto number = ParseNumber(text)) {
    if (*number < 0 || *number > 1e13) return std::nullopt;
    if (*number > 1e9) return static_cast<int64_t>(*number * 1000);
    return now_ms + static_cast<int64_t>(*number * 1000);
  }
  if (const auto at = core::ParseRfc3339Millis(Trim(text))) return at;
  return ParseHttpDateMillis(text);
}

// Full jitter (uniform in [0, e]) can draw a near-zero wait and hammer a server that just failed;
// keeping half of e guarantees the backoff grows attempt by attempt while the other half still
// spreads clients apart.
Millis EqualJitterBackoff(int attempts, Millis base, Millis cap, std::mt19937_64& rng) {
  const double base_ms = static_cast<double>(base.count());
  const double cap_ms = static_cast<double>(cap.count());
  const double ceiling = std::min(cap_ms, base_ms * std::pow(2.0, std::min(attempts - 1, 62)));
  std::uniform_real_distribution<double> draw(ceiling / 2, ceiling);
  return Millis(static_cast<int64_t>(draw(rng)));
}

StatusVerdict ClassifyStatus(long code, std::string_view body) {
  // Reddit answers an over-eager client with a 403 page saying it has been blocked.
  const bool blocked_403 = code == 403 && ContainsIgnoreCase(body, "blocked");
  StatusVerdict verdict;
  verdict.retryable =
      code == 429 || code == 500 || code == 502 || code == 503 || code == 504 || blocked_403;
  verdict.rate_limited = code == 429 || code == 503 || blocked_403;
  verdict.honours_retry_after = code == 429 || code == 503;
  return verdict;
}

void HostPacer::Init(double rate, Clock::time_point now) {
  requests_per_minute = rate;
  tokens = Capacity();
  refilled = now;
}

double HostPacer::Capacity() const { return std::max(1.0, PerSecond()); }

void HostPacer::Refill(Clock::time_point now) {
  if (now > refilled) {
    tokens = std::min(Capacity(),
                      tokens + std::chrono::duration<double>(now - refilled).count() * PerSecond());
    refilled = now;
  }
}

void HostPacer::Limit(double rate, Clock::time_point now) {
  if (!limited || rate < requests_per_minute) {
    Refill(now);
    requests_per_minute = rate;
    limited = true;
    tokens = std::min(tokens, Capacity());
  }
}

HostPacer::Clock::time_point HostPacer::EligibleAt(Clock::time_point now) {
  Refill(now);
  Clock::time_point at = std::max(now, blocked_until);
  if (tokens < 1) {
    const double seconds = (1 - tokens) / PerSecond();
    at = std::max(at, now + std::chrono::duration_cast<Clock::duration>(
                                std::chrono::duration<double>(seconds)));
  }
  if (pace_until > now && requests > 0) {
    at = std::max(at, std::min(last_sent + pace_interval, pace_until));
  }
  return at;
}

void HostPacer::Sent(Clock::time_point now) {
  tokens -= 1;
  last_sent = now;
  ++requests;
}

void HostPacer::Block(Clock::time_point now, int64_t now_ms, Millis wait, std::string reason) {
  const Clock::time_point until = now + wait;
  if (until <= blocked_until) return;
  blocked_until = until;
  blocked_until_ms = now_ms + wait.count();
  blocked_reason = std::move(reason);
}

bool HostPacer::ApplyServerBudget(const HttpResponse& response, Clock::time_point now,
                                  int64_t now_ms) {
  std::string_view prefix = "x-ratelimit-";
  std::string_view remaining_text = response.Header("x-ratelimit-remaining");
  std::string_view reset_text = response.Header("x-ratelimit-reset");
  if (remaining_text.empty()) {
    prefix = "ratelimit-";
    remaining_text = response.Header("ratelimit-remaining");
    reset_text = response.Header("ratelimit-reset");
  }
  const auto remaining = ParseNumber(remaining_text);
  if (!remaining) return false;
  const auto reset_ms = reset_text.empty() ? std::nullopt : ParseResetMillis(reset_text, now_ms);
  const Millis until_reset(reset_ms ? *reset_ms - now_ms : 0);
  if (*remaining < 1) {
    if (until_reset > Millis(0)) {
      Block(now, now_ms, until_reset,
            (prefix == "x-ratelimit-" ? "X-RateLimit-Remaining: 0" : "RateLimit-Remaining: 0"));
    }
    return true;
  }
  if (until_reset > Millis(0)) {
    pace_until = now + until_reset;
    pace_interval =
        std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double, std::milli>(
            static_cast<double>(until_reset.count()) / *remaining));
  }
  return false;
}

}  // namespace earshot::crawler::internal
