// Owners for libcurl's C handles (STYLE.md 7): a multi handle, an easy handle, a header list, a
// parsed URL and a string libcurl allocated each free themselves exactly once. None converts
// implicitly to the raw handle; use get().
//
// Order matters when tearing down a transfer: remove an easy handle from its multi handle before
// the CurlEasy is destroyed, and destroy the CurlEasy before the CurlSlist it was given
// (CURLOPT_HTTPHEADER keeps a pointer to the list, it does not copy it).
//
// Thread safety: none; each handle belongs to one thread at a time (curl_multi_wakeup is the one
// libcurl call that may be made on a CURLM* from another thread).
#ifndef EARSHOT_CRAWLER_INTERNAL_CURL_HANDLES_H_
#define EARSHOT_CRAWLER_INTERNAL_CURL_HANDLES_H_

#include <curl/curl.h>

#include <memory>
#include <type_traits>

namespace earshot::crawler::internal {

struct CurlMultiCleanup {
  void operator()(CURLM* multi) const { curl_multi_cleanup(multi); }
};
// CURLM and CURL are `void` outside libcurl's own build, so the element type is spelled through
// the pointer type rather than as the struct.
using CurlMulti = std::unique_ptr<std::remove_pointer_t<CURLM*>, CurlMultiCleanup>;

struct CurlEasyCleanup {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};
using CurlEasy = std::unique_ptr<std::remove_pointer_t<CURL*>, CurlEasyCleanup>;

struct CurlSlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistFree>;

struct CurlUrlCleanup {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
using CurlUrl = std::unique_ptr<CURLU, CurlUrlCleanup>;

// A string that libcurl allocated (curl_url_get, curl_easy_escape) and that must go back through
// curl_free, which may not be the same allocator as free().
struct CurlFree {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlFree>;

// Appends "line" to `list`, keeping ownership in `list` even when the append fails
// (curl_slist_append returns null then and leaves the old list alone). False on allocation failure.
inline bool AppendSlist(CurlSlist& list, const char* line) {
  curl_slist* grown = curl_slist_append(list.get(), line);
  if (grown == nullptr) return false;
  // `grown` is the same list with one more node, or a new head if the list was empty.
  (void)list.release();
  list.reset(grown);
  return true;
}

}  // namespace earshot::crawler::internal

#endif  // EARSHOT_CRAWLER_INTERNAL_CURL_HANDLES_H_
