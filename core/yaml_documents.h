// FindSecondYamlDocument: where a second YAML document starts in a file meant to hold one.
//
// YAML::Load silently reads only the first document, so everything after a stray `---` would be
// ignored without a word; rule files and the config report it instead. Not YAML::LoadAll: in
// yaml-cpp 0.7 it loops forever, allocating, on some malformed input where the parser keeps
// reporting empty documents without consuming anything (found by tests/fuzz/rule_loader_fuzz;
// fixed upstream by jbeder/yaml-cpp#1319). Asking the event parser for at most two documents
// bounds the work.
//
// Callers link yaml-cpp themselves (core links it privately); the Mark is yaml-cpp's, 0-based.
// May throw YAML::Exception on malformed input, like YAML::Load: callers already catch it there.
// Thread safety: pure function.
#ifndef EARSHOT_CORE_YAML_DOCUMENTS_H_
#define EARSHOT_CORE_YAML_DOCUMENTS_H_

#include <yaml-cpp/mark.h>

#include <optional>
#include <string>

namespace earshot::core {

std::optional<YAML::Mark> FindSecondYamlDocument(const std::string& text);

}  // namespace earshot::core

#endif  // EARSHOT_CORE_YAML_DOCUMENTS_H_
