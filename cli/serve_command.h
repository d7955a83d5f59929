// The HTTP side of `earshot serve` and `earshot run --serve` (serve/http_server.h).
#ifndef EARSHOT_CLI_SERVE_COMMAND_H_
#define EARSHOT_CLI_SERVE_COMMAND_H_

#include <memory>
#include <string>

#include "cli/run_control.h"
#include "core/config.h"
#include "serve/http_server.h"

namespace earshot::cli {

// Starts the server on the config's `serve.listen` (or `listen_override`, "host:port"), with its
// token. Logs why and returns null when it cannot (bad address, port in use, no token beyond
// loopback).
std::unique_ptr<serve::HttpServer> StartHttpServer(const core::Config& config, const std::string& listen_override,
                                                   const serve::ServeContext& context);

// `earshot serve --api-only`, or `serve` over a config without sources: the queue's cases, health
// and queue metrics from the data directory, beside whatever `earshot run` writes it, until
// SIGINT/SIGTERM.
int RunApiOnly(const core::Config& config, const std::string& listen_override, RunControl& control);

}  // namespace earshot::cli

#endif  // EARSHOT_CLI_SERVE_COMMAND_H_
