#include "device/device_profile.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "adapter/adapter_index.hpp"
#include "device/board.hpp"

namespace luatnet::device {
namespace {

using nlohmann::json;

// Identity values are well-formed placeholders (a Luhn-valid IMEI, a 20-digit ICCID), not real devices.
json cellular_defaults() {
  return {{"sim", true},
          {"imei", "869329060001230"},
          {"imsi", "460001234567890"},
          {"iccid", "89860012345678901234"},
          {"number", ""},
          {"apn", "cmnet"},
          {"csq", 24},
          {"rssi", -65},
          {"rsrp", -90},
          {"rsrq", -9},
          {"snr", 15},
          {"registration_ms", 1000},
          {"cells", json::array({{{"mcc", 0x460},
                                  {"mnc", 0},
                                  {"tac", 22564},
                                  {"cid", 124045360},
                                  {"pci", 115},
                                  {"earfcn", 1850},
                                  {"band", 3},
                                  {"rsrp", -90},
                                  {"rsrq", -9},
                                  {"rssi", -65},
                                  {"snr", 15}},
                                 {{"mcc", 0x460},
                                  {"mnc", 0},
                                  {"tac", 22564},
                                  {"cid", 124045331},
                                  {"pci", 388},
                                  {"earfcn", 2452},
                                  {"band", 8},
                                  {"rsrp", -101},
                                  {"rsrq", -11},
                                  {"rssi", -77},
                                  {"snr", 5}}})}};
}

// An adapter of a profile: on the host's routing, behind a simulated link of `preset`, with a simulated
// gateway of its own (192.168.<adapter id>.1, so each network's gateway differs); "driver" adapters start
// with the link down until their driver brings them up.
json adapter_entry(const char* index, const char* preset, bool waits_for_driver, int ready_delay_ms = 0) {
  json simulate = {{"preset", preset},
                   {"gateway", "192.168." + std::to_string(adapter::index_by_name(index).value_or(0)) + ".1"}};
  if (waits_for_driver) simulate["link"] = "down";
  if (ready_delay_ms > 0) simulate["ready_delay_ms"] = ready_delay_ms;
  return {{"index", index}, {"interface", "host"}, {"profile", "lwip"}, {"simulate", simulate}};
}

// ADC channels every profile has: ADC0, ADC1 (0 mV until set), the chip's temperature and VBAT.
json adc_defaults() { return {{"0", 0}, {"1", 0}, {"cpu", 35000}, {"vbat", 3800}}; }

json builtin_profile(const std::string& name) {
  if (name == "air780e") {
    return {{"board", {{"bsp", "EC618"}, {"model", "Air780E"}, {"chip", "EC618"}, {"hwver", "A11"}}},
            {"default", "LWIP_GP"},
            {"adapters", json::array({adapter_entry("LWIP_GP", "cat1", false, 1000)})},
            {"mobile", cellular_defaults()},
            {"adc", adc_defaults()},
            {"pm", {{"sleep_cuts_radio", true}}}};
  }
  if (name == "air8000") {
    return {
        {"board", {{"bsp", "Air8000"}, {"model", "Air8000"}, {"chip", "EC718"}, {"hwver", "A10"}}},
        {"default", "LWIP_GP"},
        {"adapters",
         json::array({adapter_entry("LWIP_GP", "cat1", false, 1000), adapter_entry("LWIP_STA", "wifi", true),
                      adapter_entry("LWIP_AP", "wifi", true), adapter_entry("LWIP_ETH", "ethernet", true),
                      adapter_entry("LWIP_USER0", "ethernet", true), adapter_entry("LWIP_USER1", "ethernet", true)})},
        {"mobile", cellular_defaults()},
        {"wlan", {{"networks", json::array()}}},
        {"adc", adc_defaults()},
        {"pm", {{"sleep_cuts_radio", true}}}};
  }
  if (name == "air8101") {
    return {{"board", {{"bsp", "Air8101"}, {"model", "Air8101"}, {"chip", "BK7258"}, {"hwver", "A10"}}},
            {"default", "LWIP_STA"},
            {"adapters",
             json::array({adapter_entry("LWIP_STA", "wifi", true), adapter_entry("LWIP_AP", "wifi", true),
                          adapter_entry("LWIP_ETH", "ethernet", true), adapter_entry("LWIP_USER1", "ethernet", true)})},
            {"wlan", {{"networks", json::array()}}},
            {"adc", adc_defaults()},
            {"pm", {{"sleep_cuts_radio", false}}}};
  }
  throw std::runtime_error("unknown device " + name + " (" + profile_names() + ")");
}

std::optional<int> entry_index(const json& entry) {
  const auto& index = entry.at("index");
  if (index.is_number_integer()) return index.get<int>();
  if (index.is_string()) return adapter::index_by_name(index.get<std::string>());
  return std::nullopt;
}

// The file's adapter entries patch the profile's entry with the same index, field by field, or add one.
void merge_adapters(json& profile_adapters, const json& file_adapters) {
  for (const auto& entry : file_adapters) {
    auto index = entry_index(entry);
    bool merged = false;
    for (auto& existing : profile_adapters) {
      if (index && entry_index(existing) == index) {
        existing.merge_patch(entry);
        merged = true;
      }
    }
    if (!merged) profile_adapters.push_back(entry);
  }
}

Cellular parse_cellular(const json& mobile) {
  Cellular cellular;
  cellular.sim_present = mobile.value("sim", true);
  cellular.imei = mobile.value("imei", "");
  cellular.imsi = mobile.value("imsi", "");
  cellular.iccid = mobile.value("iccid", "");
  cellular.number = mobile.value("number", "");
  cellular.apn = mobile.value("apn", "");
  cellular.csq = mobile.value("csq", 0);
  cellular.rssi = mobile.value("rssi", 0);
  cellular.rsrp = mobile.value("rsrp", 0);
  cellular.rsrq = mobile.value("rsrq", 0);
  cellular.snr = mobile.value("snr", 0);
  cellular.registration = std::chrono::milliseconds(mobile.value("registration_ms", 1000));
  for (const auto& cell : mobile.value("cells", json::array())) {
    cellular.cells.push_back(CellInfo{cell.value("mcc", 0x460), cell.value("mnc", 0), cell.value("tac", 0),
                                      cell.value("cid", 0), cell.value("pci", 0), cell.value("earfcn", 0),
                                      cell.value("band", 0), cell.value("rsrp", 0), cell.value("rsrq", 0),
                                      cell.value("rssi", 0), cell.value("snr", 0)});
  }
  return cellular;
}

std::string raw_bssid(const std::string& hex) {
  bool digits = std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
  if (hex.size() != 12 || !digits) throw std::runtime_error("wlan.networks[].bssid must be 12 hex digits");
  std::string raw;
  for (std::size_t at = 0; at < hex.size(); at += 2) {
    raw.push_back(static_cast<char>(std::stoi(hex.substr(at, 2), nullptr, 16)));
  }
  return raw;
}

// "0".."15", "cpu" or "vbat".
int adc_channel(const std::string& name) {
  if (name == "cpu") return kAdcCpu;
  if (name == "vbat") return kAdcVbat;
  int channel = -1;
  auto [end, error] = std::from_chars(name.data(), name.data() + name.size(), channel);
  if (error != std::errc() || end != name.data() + name.size() || channel < 0 || channel > 255) {
    throw std::runtime_error("adc channel " + name + ": must be 0..255, \"cpu\" or \"vbat\"");
  }
  return channel;
}

DeviceProfile parse_profile(const std::string& name, const json& root) {
  DeviceProfile profile;
  profile.name = name;
  const auto& board = root.at("board");
  profile.bsp = board.value("bsp", "");
  profile.model = board.value("model", "");
  profile.chip = board.value("chip", "");
  profile.hwver = board.value("hwver", "");
  if (root.contains("mobile")) profile.cellular = parse_cellular(root["mobile"]);
  if (root.contains("wlan")) {
    const auto& wlan = root["wlan"];
    profile.has_wifi = true;
    profile.association = std::chrono::milliseconds(wlan.value("association_ms", 800));
    int position = 0;
    for (const auto& network : wlan.value("networks", json::array())) {
      ++position;
      // A distinct made-up BSSID per network unless the file gives one.
      std::string bssid = network.value("bssid", "0C1122334" + std::to_string(400 + position).substr(0, 3));
      profile.networks.push_back(WifiNetwork{network.at("ssid").get<std::string>(), network.value("password", ""),
                                             raw_bssid(bssid), network.value("rssi", -50),
                                             network.value("channel", 6)});
    }
  }
  profile.ethernet_link_up = std::chrono::milliseconds(root.value("ethernet_link_ms", 300));
  const json uarts = root.value("uart", json::object());
  for (const auto& [id, endpoint] : uarts.items()) {
    if (!endpoint.is_string()) throw std::runtime_error("uart." + id + " must be \"pty\" or \"tcp:PORT\"");
    add_uart(profile, id + "=" + endpoint.get<std::string>());
  }
  const json channels = root.value("adc", json::object());
  for (const auto& [channel, value] : channels.items()) {
    profile.adc[adc_channel(channel)] = value.get<std::int64_t>();
  }
  profile.sleep_cuts_radio = root.value("pm", json::object()).value("sleep_cuts_radio", false);
  return profile;
}

}  // namespace

void add_uart(DeviceProfile& profile, const std::string& assignment) {
  auto equals = assignment.find('=');
  int id = -1;
  const char* first = assignment.data();
  const char* last = first + (equals == std::string::npos ? 0 : equals);
  auto [end, error] = std::from_chars(first, last, id);
  auto endpoint = equals == std::string::npos ? std::nullopt : parse_uart_endpoint(assignment.substr(equals + 1));
  if (error != std::errc() || end != last || first == last || id < 0 || id > 127 || !endpoint) {
    throw std::runtime_error("uart " + assignment + ": expected ID=pty or ID=tcp:PORT with ID 0..127");
  }
  profile.uarts[id] = *endpoint;
}

std::string profile_names() { return "air780e, air8000, air8101"; }

DeviceSetup load_setup(const std::string& adapters_file, const std::string& device_name) {
  json file = adapters_file.empty() ? json::object() : adapter::read_json_file(adapters_file);
  std::string name = device_name.empty() ? file.value("device", "") : device_name;
  DeviceSetup setup;
  try {
    if (name.empty()) {
      setup.adapters =
          adapters_file.empty() ? adapter::default_adapters_config() : adapter::parse_adapters_config(file);
      return setup;
    }
    json root = builtin_profile(name);
    merge_adapters(root["adapters"], file.value("adapters", json::array()));
    if (file.contains("default")) root["default"] = file["default"];
    for (const char* section : {"board", "mobile", "wlan", "uart", "adc", "pm"}) {
      if (file.contains(section)) root[section].merge_patch(file[section]);
    }
    // Without a SIM the cellular adapter never registers.
    if (root.contains("mobile") && !root["mobile"].value("sim", true)) {
      for (auto& entry : root["adapters"]) {
        if (entry_index(entry) == adapter::kLwipGp) entry["simulate"]["link"] = "down";
      }
    }
    if (file.contains("ethernet_link_ms")) root["ethernet_link_ms"] = file["ethernet_link_ms"];
    setup.adapters = adapter::parse_adapters_config(root);
    setup.profile = parse_profile(name, root);
  } catch (const json::exception& error) {
    throw std::runtime_error((adapters_file.empty() ? "device " + name : adapters_file) + ": " + error.what());
  }
  return setup;
}

}  // namespace luatnet::device
