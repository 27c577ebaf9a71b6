// CLI layer: `luatnet [run] main.lua|folder [more files or folders...]`, like the LuatOS PC simulator.
// It parses options, wires the event loop to the Lua host and turns the run's outcome into an exit code.
#include <linux/close_range.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "adapter/adapter_registry.hpp"
#include "adapter/echo_pinger.hpp"
#include "common/logger.hpp"
#include "common/process_clock.hpp"
#include "device/device_profile.hpp"
#include "device/simulated_module.hpp"
#include "fs/device_fs.hpp"
#include "fs/kv_store.hpp"
#include "loop/event_loop.hpp"
#include "lua/lua_host.hpp"
#include "lua/modules.hpp"
#include "socket/socket_registry.hpp"

namespace {

// rtos.reboot under --reboot restart: this program again with the same arguments, in a fresh process
// image, as a device boots afresh; no descriptor (socket, listener, log file) survives into it.
[[noreturn]] void run_again(char** argv) {
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  execv("/proc/self/exe", argv);
  std::perror("luatnet: --reboot restart");
  std::_Exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args.front() == "run") {
    args.erase(args.begin());  // `luatnet run main.lua` and `luatnet main.lua` are the same
  }
  std::reverse(args.begin(), args.end());  // CLI11 parses a reversed vector

  CLI::App app{"luatnet: run LuatOS network scripts on Linux"};
  std::string script;
  std::vector<std::string> search_paths;
  double timeout_seconds = 0;
  std::string log_file;
  bool exit_on_error = false;
  std::string adapters_file;
  std::string fs_folder;
  std::string reboot = "exit";
  std::string device_name;
  bool virtual_time = false;
  std::vector<std::string> uart_wiring;
  app.add_option("script", script, "main.lua, or a folder that holds one")->required();
  app.add_option("paths", search_paths,
                 "more files or folders: folders (with every folder below) go on the require path, and every "
                 "file given or found goes into /luadb/");
  app.add_option("--timeout", timeout_seconds, "stop after this many seconds (exit code 124)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--log", log_file, "write log lines to this file instead of stderr");
  app.add_flag("--exit-on-error", exit_on_error,
               "exit with code 1 when a task or callback fails (the device would keep the other tasks going)");
  app.add_option("--adapters", adapters_file,
                 "JSON file mapping adapters (ETH0, LWIP_GP, ...) to host interfaces; default: ETH0 on the host's "
                 "routing")
      ->check(CLI::ExistingFile);
  app.add_option("--device", device_name,
                 "simulate this module's drivers and adapters (" + luatnet::device::profile_names() +
                     "); overrides the adapters file's \"device\"");
  app.add_flag("--virtual-time", virtual_time,
               "run timers, timeouts and simulated latencies on a virtual clock that jumps to the next due one "
               "whenever the process has been quiet for a moment (os.time and mcu.ticks follow it); --timeout "
               "stays in real seconds");
  app.add_option("--uart", uart_wiring,
                 "wire a UART of the device profile to the host: ID=pty (a pseudo-terminal, its path is logged) or "
                 "ID=tcp:PORT (a listener on 127.0.0.1; 0 picks a port); repeatable")
      ->allow_extra_args(false);
  app.add_option("--fs", fs_folder,
                 "host folder holding the device's file system (/data.txt is DIR/data.txt; fskv is kept there "
                 "too); default: .luatnet-fs in the project's folder");
  app.add_option("--reboot", reboot,
                 "what rtos.reboot does: exit (with code " + std::to_string(luatnet::lua::kRebootExitCode) +
                     ") or restart (run the project again)")
      ->check(CLI::IsMember({"exit", "restart"}));
  try {
    app.parse(args);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }

  namespace fs = std::filesystem;
  if (fs::is_directory(script)) {
    search_paths.insert(search_paths.begin(), script);
    script = (fs::path(script) / "main.lua").string();
  }
  if (!fs::is_regular_file(script)) {
    std::cerr << "luatnet: no script at " << script << "\n";
    return 2;
  }
  for (const auto& path : search_paths) {
    if (!fs::exists(path)) {
      std::cerr << "luatnet: no file or folder at " << path << "\n";  // a typo would go unnoticed otherwise
      return 2;
    }
  }
  if (!log_file.empty() && !luatnet::Logger::instance().open_file(log_file)) {
    std::cerr << "luatnet: cannot open log file " << log_file << "\n";
    return 2;
  }

  namespace device_files = luatnet::fs;
  // The default sits beside the project, never in the working directory: the project is what the device holds.
  fs::path data_root = fs_folder.empty() ? fs::absolute(script).parent_path() / ".luatnet-fs" : fs::path(fs_folder);
  if (fs::exists(data_root) && !fs::is_directory(data_root)) {
    std::cerr << "luatnet: --fs " << data_root.string() << " is not a folder\n";
    return 2;
  }
  auto layout = device_files::scan_project(script, search_paths, data_root);
  for (const auto& warning : layout.warnings)
    luatnet::Logger::instance().log(luatnet::LogLevel::Warn, "luadb", warning);
  device_files::DeviceFs device_fs(data_root, layout.luadb);
  device_files::KvStore kv_store(device_fs.data_root() / "fskv.bin");

  luatnet::ProcessClock::use_virtual_time(virtual_time);
  luatnet::lua::HostOptions options;
  options.exit_on_task_error = exit_on_error;
  if (reboot == "restart") options.restart = [argv] { run_again(argv); };
  if (timeout_seconds > 0) {
    options.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_seconds * 1000));
  }
  luatnet::device::DeviceSetup setup;
  try {
    setup = luatnet::device::load_setup(adapters_file, device_name);
    if (!uart_wiring.empty() && !setup.profile) throw std::runtime_error("--uart needs a device profile (--device)");
    for (const auto& wiring : uart_wiring) luatnet::device::add_uart(*setup.profile, wiring);
  } catch (const std::exception& error) {
    std::cerr << "luatnet: " << error.what() << "\n";
    return 2;
  }
  // Declaration order is teardown order in reverse: the Lua host (whose ctrls release their sockets)
  // goes first, the loop last.
  luatnet::loop::EventLoop loop;
  luatnet::adapter::AdapterRegistry adapters(loop);
  adapters.configure(setup.adapters);
  luatnet::socket::SocketRegistry sockets(loop, adapters);
  luatnet::adapter::EchoPinger pinger(loop.io(), adapters);
  std::optional<luatnet::device::SimulatedModule> module;  // outlives the Lua host that calls it
  luatnet::lua::LuaHost host(loop, options);
  luatnet::lua::open_socket(host, sockets);
  luatnet::lua::open_http(host, sockets, device_fs);
  luatnet::lua::open_websocket(host, sockets);
  luatnet::lua::open_mqtt(host, sockets);
  luatnet::lua::open_netsim(host, adapters);
  luatnet::lua::open_files(host.state(), device_fs);
  luatnet::lua::open_fskv(host.state(), kv_store);
  luatnet::lua::open_errdump(host.state(), device_fs);
  luatnet::lua::open_sntp(host, sockets);
  luatnet::lua::open_ftp(host, sockets, device_fs);
  if (setup.profile) {
    try {
      module.emplace(adapters, *setup.profile);
    } catch (const std::exception& error) {
      std::cerr << "luatnet: " << error.what() << "\n";  // a UART's port taken, no pseudo-terminals
      return 2;
    }
    luatnet::lua::open_device(host, *module);
    module->start();
  }
  luatnet::lua::open_icmp(host, pinger, adapters, module ? &*module : nullptr);
  adapters.start();
  try {
    return host.run(script, layout.require_folders);
  } catch (const std::exception& error) {
    // Errors outside any script (the loop, the OS) end the run with a message rather than an abort.
    std::cerr << "luatnet: " << error.what() << "\n";
    return 1;
  }
}
