#include "cli/serve_command.h"

#include <spdlog/spdlog.h>

#include "cli/commands.h"
#include "cli/config_loading.h"
#include "core/time.h"

namespace earshot::cli {

std::unique_ptr<serve::HttpServer> StartHttpServer(const core::Config& config, const std::string& listen_override,
                                                   const serve::ServeContext& context) {
  serve::ServeOptions options;
  options.host = config.serve.host;
  options.port = config.serve.port;
  options.token = config.serve.token;
  if (!listen_override.empty()) {
    const std::optional<core::ListenAddress> address = core::ParseListenAddress(listen_override);
    if (!address) {
      spdlog::error("--listen '{}': expected host:port, e.g. 127.0.0.1:8080", listen_override);
      return nullptr;
    }
    options.host = address->host;
    options.port = address->port;
  }
  core::Result<std::unique_ptr<serve::HttpServer>> server = serve::HttpServer::Start(options, context);
  if (!server) {
    spdlog::error("serve: {}", server.error().message());
    return nullptr;
  }
  const bool ipv6 = options.host.find(':') != std::string::npos;
  spdlog::info("serving the API and console on http://{}{}{}:{}/{}", ipv6 ? "[" : "", options.host, ipv6 ? "]" : "",
               (*server)->port(), options.token.empty() ? "" : " (bearer token required)");
  return std::move(*server);
}

int RunApiOnly(const core::Config& config, const std::string& listen_override, RunControl& control) {
  // The directory must exist: serving an empty queue conjured from a typo would look healthy.
  std::unique_ptr<store::Store> store = OpenStoreOrReport(config, /*create_if_missing=*/false);
  if (!store) return kExitFailure;
  serve::ServeContext context;
  context.store = store.get();
  context.redis_queue = config.queue.kind == core::QueueConfig::Kind::kRedis;
  context.redis_stream = config.queue.redis_stream;
  context.started_ms = core::NowMillis();
  std::unique_ptr<serve::HttpServer> server = StartHttpServer(config, listen_override, context);
  if (!server) return kExitFailure;
  while (!control.stop) control.SleepFor(std::chrono::seconds(3600));
  spdlog::info("serve: stopped");
  return kExitOk;
}

}  // namespace earshot::cli
