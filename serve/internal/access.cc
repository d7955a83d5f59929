#include "serve/internal/access.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace earshot::serve::internal {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer input is visited whatever the contents, so the time taken says how
  // long the inputs are and nothing else; volatile keeps the compiler from ending the loop early.
  const size_t length = std::max(a.size(), b.size());
  volatile unsigned char difference = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < length; ++i) {
    const unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    const unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    difference = difference | static_cast<unsigned char>(x ^ y);
  }
  return difference == 0;
}

bool BearerTokenMatches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "bearer ";
  if (token.empty() || authorization.size() < kScheme.size()) return false;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    const char c = authorization[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != kScheme[i]) return false;
  }
  std::string_view presented = authorization.substr(kScheme.size());
  while (!presented.empty() && presented.front() == ' ') presented.remove_prefix(1);
  while (!presented.empty() && (presented.back() == ' ' || presented.back() == '\t')) presented.remove_suffix(1);
  return ConstantTimeEquals(presented, token);
}

bool IsLoopbackHost(std::string_view host) {
  if (host == "localhost") return true;
  // inet_pton needs a terminated string; "[::1]" is how people write IPv6 hosts next to a port.
  std::string text(host);
  if (text.size() > 2 && text.front() == '[' && text.back() == ']') text = text.substr(1, text.size() - 2);
  in_addr v4{};
  if (::inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (::inet_pton(AF_INET6, text.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
  }
  return false;
}

bool IsLoopbackHostHeader(std::string_view host_header) {
  std::string_view host = host_header;
  if (host.starts_with('[')) {
    const size_t close = host.find(']');
    if (close == std::string_view::npos) return false;
    host = host.substr(0, close + 1);
  } else if (const size_t colon = host.find(':'); colon != std::string_view::npos) {
    if (host.find(':', colon + 1) != std::string_view::npos) return false;  // bare IPv6 is not a Host
    host = host.substr(0, colon);
  }
  return IsLoopbackHost(host);
}

bool IsSameOrigin(std::string_view origin, std::string_view host_header) {
  constexpr std::string_view kScheme = "http://";
  return !host_header.empty() && origin.size() == kScheme.size() + host_header.size() &&
         origin.starts_with(kScheme) && origin.substr(kScheme.size()) == host_header;
}

}  // namespace earshot::serve::internal
