#include "matchers/internal/hs_handles.h"

#include <string>

namespace earshot::matchers::internal {

core::Status FromHsError(hs_error_t error, std::string_view operation) {
  std::string message(operation);
  message.append(": ");
  switch (error) {
    case HS_SUCCESS:
      return core::Status::Ok();
    case HS_INVALID:
      return core::Status::InvalidArgument(message + "invalid parameter (HS_INVALID)");
    case HS_NOMEM:
      return core::Status::Internal(message + "out of memory (HS_NOMEM)");
    case HS_SCAN_TERMINATED:
      return core::Status::Internal(message + "scan terminated by callback (HS_SCAN_TERMINATED)");
    case HS_COMPILER_ERROR:
      return core::Status::InvalidArgument(message +
                                           "pattern compilation failed (HS_COMPILER_ERROR)");
    case HS_DB_VERSION_ERROR:
      return core::Status::Corruption(
          message + "database built by another Hyperscan version (HS_DB_VERSION_ERROR)");
    case HS_DB_PLATFORM_ERROR:
      return core::Status::Corruption(message +
                                      "database built for another platform (HS_DB_PLATFORM_ERROR)");
    case HS_DB_MODE_ERROR:
      return core::Status::InvalidArgument(message + "database mode mismatch (HS_DB_MODE_ERROR)");
    case HS_BAD_ALIGN:
      return core::Status::Corruption(message + "misaligned database or scratch (HS_BAD_ALIGN)");
    case HS_BAD_ALLOC:
      return core::Status::Internal(message +
                                    "allocator returned misaligned memory (HS_BAD_ALLOC)");
    case HS_SCRATCH_IN_USE:
      // Two threads sharing one Scanner: a programming error, reported rather than ignored.
      return core::Status::Internal(message + "scratch already in use (HS_SCRATCH_IN_USE)");
    case HS_ARCH_ERROR:
      return core::Status::Unavailable(message +
                                       "CPU lacks SSSE3, which Hyperscan needs (HS_ARCH_ERROR)");
    case HS_INSUFFICIENT_SPACE:
      return core::Status::Internal(message + "buffer too small (HS_INSUFFICIENT_SPACE)");
    case HS_UNKNOWN_ERROR:
      return core::Status::Internal(message + "unexpected internal error (HS_UNKNOWN_ERROR)");
    default:
      return core::Status::Internal(message + "unknown Hyperscan error " + std::to_string(error));
  }
}

}  // namespace earshot::matchers::internal
