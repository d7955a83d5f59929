// Access rules of the HTTP server: the bearer token check and what counts as a loopback address.
//
// The token is compared in constant time (for a given token length): a comparison that stops at
// the first differing byte would let a client on the network learn the token a byte at a time from
// response timings. Only whether the lengths differ leaks, which says nothing about the bytes.
//
// Thread safety: pure functions.
#ifndef EARSHOT_SERVE_INTERNAL_ACCESS_H_
#define EARSHOT_SERVE_INTERNAL_ACCESS_H_

#include <string_view>

namespace earshot::serve::internal {

// True when `authorization` (the Authorization header's value) is "Bearer <token>" with exactly
// `token`. The scheme name is case-insensitive (RFC 7235); `token` must not be empty.
bool BearerTokenMatches(std::string_view authorization, std::string_view token);

// Byte equality whose running time depends on the lengths only, never on where the bytes differ.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// "localhost", 127.0.0.0/8 and ::1 (also as ::ffff:127.x.y.z): addresses only this machine can
// reach. Anything else, including 0.0.0.0, :: and host names, may be reachable from outside.
bool IsLoopbackHost(std::string_view host);

// The host part of a Host header ("127.0.0.1:8080", "[::1]:8080", "localhost") is a loopback
// name. A web page the operator visits can make the browser talk to a loopback server, but only
// under the page's own host name (DNS rebinding: evil.example resolving to 127.0.0.1), which this
// tells apart.
bool IsLoopbackHostHeader(std::string_view host_header);

// `origin` (an Origin header) is "http://" + `host_header`: the request comes from a page this
// server served. Browsers send Origin with every cross-site POST, forms included.
bool IsSameOrigin(std::string_view origin, std::string_view host_header);

}  // namespace earshot::serve::internal

#endif  // EARSHOT_SERVE_INTERNAL_ACCESS_H_
