# Project-wide compile options live on an INTERFACE target that every earshot target links
# privately, rather than in global flag strings (STYLE.md 19).
add_library(earshot_flags INTERFACE)
add_library(earshot::flags ALIAS earshot_flags)
target_compile_options(earshot_flags INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor)
if(EARSHOT_WERROR)
  target_compile_options(earshot_flags INTERFACE -Werror)
endif()
# Root-relative includes everywhere: "core/status.h", "matchers/database.h".
target_include_directories(earshot_flags INTERFACE ${PROJECT_SOURCE_DIR})

if(EARSHOT_SANITIZE)
  target_compile_options(earshot_flags INTERFACE -fsanitize=${EARSHOT_SANITIZE} -fno-omit-frame-pointer
                                                 -fno-sanitize-recover=all)
  target_link_options(earshot_flags INTERFACE -fsanitize=${EARSHOT_SANITIZE})
endif()

# earshot_library(NAME SOURCES... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...]): one static library per folder
# with an earshot::NAME alias (STYLE.md 1).
function(earshot_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(earshot_${name} STATIC ${ARG_SOURCES})
  add_library(earshot::${name} ALIAS earshot_${name})
  target_link_libraries(earshot_${name} PUBLIC earshot_flags ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()
