// Owners for Hyperscan's C handles (STYLE.md 7), and the one mapping from hs_error_t to Status.
#ifndef EARSHOT_MATCHERS_INTERNAL_HS_HANDLES_H_
#define EARSHOT_MATCHERS_INTERNAL_HS_HANDLES_H_

#include <hs/hs.h>

#include <cstdlib>
#include <memory>
#include <string_view>

#include "core/status.h"

namespace earshot::matchers::internal {

struct HsDatabaseFree {
  void operator()(hs_database_t* db) const { hs_free_database(db); }
};
struct HsScratchFree {
  void operator()(hs_scratch_t* scratch) const { hs_free_scratch(scratch); }
};
struct HsCompileErrorFree {
  void operator()(hs_compile_error_t* error) const { hs_free_compile_error(error); }
};

// hs_expression_info, hs_serialize_database and hs_database_info hand out memory from Hyperscan's
// "misc" allocator, which is malloc unless hs_set_misc_allocator is called (Earshot never does).
struct HsMiscFree {
  void operator()(void* memory) const { std::free(memory); }
};

using HsDatabase = std::unique_ptr<hs_database_t, HsDatabaseFree>;
using HsScratch = std::unique_ptr<hs_scratch_t, HsScratchFree>;
using HsCompileError = std::unique_ptr<hs_compile_error_t, HsCompileErrorFree>;
using HsExprInfo = std::unique_ptr<hs_expr_info_t, HsMiscFree>;
using HsMiscBytes = std::unique_ptr<char, HsMiscFree>;

// Maps a Hyperscan return code to a Status whose message names `operation`.
core::Status FromHsError(hs_error_t error, std::string_view operation);

}  // namespace earshot::matchers::internal

#endif  // EARSHOT_MATCHERS_INTERNAL_HS_HANDLES_H_
