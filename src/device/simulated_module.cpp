#include "device/simulated_module.hpp"

#include "common/logger.hpp"

namespace luatnet::device {
namespace {

constexpr std::chrono::milliseconds kCellMeasurement{300};
constexpr std::chrono::milliseconds kScanTime{500};

}  // namespace

SimulatedModule::SimulatedModule(adapter::AdapterRegistry& adapters, DeviceProfile profile)
    : adapters_(adapters), profile_(std::move(profile)), board_(adapters.loop().io(), profile_.uarts, profile_.adc) {}

void SimulatedModule::publish(const std::string& topic, std::vector<TopicArg> args) {
  if (publish_) publish_(topic, std::move(args));
}

void SimulatedModule::start() {
  if (profile_.cellular) publish("SIM_IND", {std::string(profile_.cellular->sim_present ? "RDY" : "NORDY")});
}

bool SimulatedModule::adapter_ready(int index) {
  adapter::Adapter* found = adapters_.find(index);
  return found != nullptr && found->ready();
}

std::optional<adapter::InterfaceAddress> SimulatedModule::address(int index) {
  adapter::Adapter* found = adapters_.find(index);
  if (found == nullptr || !found->ready()) return std::nullopt;
  return found->address();
}

void SimulatedModule::set_flight_mode(bool on) {
  if (!profile_.cellular || on == flight_mode_) return;
  flight_mode_ = on;
  Logger::instance().log(LogLevel::Info, "mobile", on ? "flight mode on" : "flight mode off");
  if (on) {
    cell_info_ready_ = false;
    adapters_.set_link(adapter::kLwipGp, false);
    return;
  }
  if (!profile_.cellular->sim_present) return;
  adapters_.after(profile_.cellular->registration, [this] {
    if (!flight_mode_ && !radio_asleep_) adapters_.set_link(adapter::kLwipGp, true);
  });
}

int SimulatedModule::registration_status() {
  if (!profile_.cellular || !profile_.cellular->sim_present || flight_mode_) return 0;
  return adapter_ready(adapter::kLwipGp) ? 1 : 2;
}

void SimulatedModule::request_cell_info() {
  if (!profile_.cellular || flight_mode_) return;
  adapters_.after(kCellMeasurement, [this] {
    if (flight_mode_) return;
    cell_info_ready_ = true;
    publish("CELL_INFO_UPDATE");
  });
}

bool SimulatedModule::setup_driver(int index) {
  if (!adapter_exists(index)) return false;
  bool first = !driver_set_up_.at(slot(index));
  driver_set_up_.at(slot(index)) = true;
  // The cellular and Wi-Fi adapters have their own drivers (mobile, wlan); setup only registers them.
  if (first && index != adapter::kLwipGp && index != adapter::kLwipSta && index != adapter::kLwipAp) {
    set_driver_up(index, true);
  }
  return true;
}

bool SimulatedModule::driver_set_up(int index) const {
  return index >= 0 && index < adapter::kAdapterCount && driver_set_up_.at(slot(index));
}

bool SimulatedModule::set_driver_up(int index, bool up) {
  if (!driver_set_up(index)) return false;
  Logger::instance().log(LogLevel::Info, "netdrv", std::to_string(index) + (up ? " up" : " down"));
  if (!up) return adapters_.set_link(index, false);
  adapters_.after(profile_.ethernet_link_up, [this, index] { adapters_.set_link(index, true); });
  return true;
}

bool SimulatedModule::has_netdrv(int index) {
  if (!adapter_exists(index)) return false;
  bool own_radio = index == adapter::kLwipGp || index == adapter::kLwipSta || index == adapter::kLwipAp;
  return own_radio || driver_set_up(index);
}

std::string SimulatedModule::mac(int index) const {
  return std::string{'\x0C', '\x11', '\x22', '\x33', '\x44', static_cast<char>(index)};
}

const WifiNetwork* SimulatedModule::joined_network() const {
  for (const auto& network : profile_.networks) {
    if (network.ssid == joined_ssid_) return &network;
  }
  return nullptr;
}

void SimulatedModule::wifi_connect(const std::string& ssid, const std::string& password) {
  std::uint64_t attempt = ++association_attempt_;
  if (!joined_ssid_.empty()) wifi_disconnect();
  association_attempt_ = attempt;
  adapters_.after(profile_.association, [this, attempt, ssid, password] {
    if (attempt != association_attempt_) return;
    const WifiNetwork* found = nullptr;
    for (const auto& network : profile_.networks) {
      if (network.ssid == ssid) found = &network;
    }
    if (found == nullptr || found->password != password) {
      Logger::instance().log(LogLevel::Info, "wlan", "cannot join " + ssid);
      publish("WLAN_STA_INC",
              {std::string("DISCONNECTED"), found == nullptr ? kReasonNoApFound : kReasonHandshakeTimeout});
      return;
    }
    joined_ssid_ = ssid;
    publish("WLAN_STA_INC", {std::string("CONNECTED"), ssid, found->bssid});
    adapters_.set_link(adapter::kLwipSta, true);
  });
}

void SimulatedModule::wifi_disconnect() {
  ++association_attempt_;
  if (joined_ssid_.empty()) return;
  joined_ssid_.clear();
  adapters_.set_link(adapter::kLwipSta, false);
  publish("WLAN_STA_INC", {std::string("DISCONNECTED"), kReasonLeaving});
}

void SimulatedModule::wifi_scan() {
  adapters_.after(kScanTime, [this] {
    scan_done_ = true;
    publish("WLAN_SCAN_DONE");
  });
}

void SimulatedModule::start_ap(const std::string& ssid) {
  ap_ssid_ = ssid;
  adapters_.set_link(adapter::kLwipAp, true);
}

void SimulatedModule::stop_ap() {
  ap_ssid_.clear();
  adapters_.set_link(adapter::kLwipAp, false);
}

void SimulatedModule::request_deep_sleep(bool asleep, const std::string& why) {
  deep_sleep_ = asleep;
  if (!profile_.cellular || !profile_.sleep_cuts_radio) {
    Logger::instance().log(LogLevel::Info, "pm", why + ": the simulated links are not changed");
    return;
  }
  if (asleep == radio_asleep_) return;
  radio_asleep_ = asleep;
  Logger::instance().log(LogLevel::Info, "pm", why + (asleep ? ": the radio sleeps" : ": the radio wakes"));
  if (asleep) {
    cell_info_ready_ = false;
    adapters_.set_link(adapter::kLwipGp, false);
    return;
  }
  if (flight_mode_ || !profile_.cellular->sim_present) return;
  adapters_.after(profile_.cellular->registration, [this] {
    if (!flight_mode_ && !radio_asleep_) adapters_.set_link(adapter::kLwipGp, true);
  });
}

void SimulatedModule::note_accepted(const std::string& what) {
  if (noted_.insert(what).second) {
    Logger::instance().log(LogLevel::Info, "device", what + ": accepted, no effect on the PC");
  }
}

}  // namespace luatnet::device
