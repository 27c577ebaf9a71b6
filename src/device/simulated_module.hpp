// Device layer: the module's drivers as state over the adapters (no Lua here). Flight mode, a Wi-Fi
// association, an Ethernet chip's setup or its up/down control all end as a simulated link change on an
// adapter (so IP_READY / IP_LOSE and the sockets follow exactly as for netsim); what the firmware also
// publishes (SIM_IND, WLAN_STA_INC, WLAN_SCAN_DONE, CELL_INFO_UPDATE) goes to a Publisher the bindings set.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "adapter/adapter_registry.hpp"
#include "device/board.hpp"
#include "device/device_profile.hpp"

namespace luatnet::device {

using TopicArg = std::variant<std::int64_t, std::string>;
using Publisher = std::function<void(const std::string& topic, std::vector<TopicArg> args)>;

// Reason codes of WLAN_STA_INC "DISCONNECTED" (IEEE 802.11 reason codes, as the Wi-Fi chips report them).
inline constexpr std::int64_t kReasonLeaving = 8;            // the station left (wlan.disconnect)
inline constexpr std::int64_t kReasonHandshakeTimeout = 15;  // 4-way handshake failed: wrong password
inline constexpr std::int64_t kReasonNoApFound = 201;        // no such network in range (ESP-IDF's code)

class SimulatedModule {
 public:
  SimulatedModule(adapter::AdapterRegistry& adapters, DeviceProfile profile);

  void set_publisher(Publisher publisher) { publish_ = std::move(publisher); }
  // At start: the SIM's state (SIM_IND) as the firmware reports it on boot.
  void start();

  [[nodiscard]] const DeviceProfile& profile() const { return profile_; }
  [[nodiscard]] bool adapter_exists(int index) { return adapters_.find(index) != nullptr; }
  [[nodiscard]] bool adapter_ready(int index);
  // Address, mask and gateway of a ready adapter.
  [[nodiscard]] std::optional<adapter::InterfaceAddress> address(int index);

  // mobile ---------------------------------------------------------------------------------------------
  [[nodiscard]] const std::optional<Cellular>& cellular() const { return profile_.cellular; }
  // The signal values, for a test to change while the script runs (netsim.mobile).
  std::optional<Cellular>& cellular_values() { return profile_.cellular; }
  [[nodiscard]] bool flight_mode() const { return flight_mode_; }
  // Entering cuts LWIP_GP at once (IP_LOSE); leaving registers again and brings it back (IP_READY).
  void set_flight_mode(bool on);
  // 1 registered, 2 searching, 0 not registered (no SIM or flight mode), as mobile.status().
  [[nodiscard]] int registration_status();
  // reqCellInfo: the measurement completes after a short delay with CELL_INFO_UPDATE.
  void request_cell_info();
  [[nodiscard]] bool cell_info_ready() const { return cell_info_ready_; }

  // netdrv ---------------------------------------------------------------------------------------------
  // Brings a waiting adapter up after the PHY link and DHCP delay; false when the module has no such adapter.
  bool setup_driver(int index);
  [[nodiscard]] bool driver_set_up(int index) const;
  // Whether netdrv reaches a driver on the adapter: the module's own radios always, others once set up.
  [[nodiscard]] bool has_netdrv(int index);
  // CTRL_UPDOWN: false for an adapter without a driver set up.
  bool set_driver_up(int index, bool up);
  struct StaticIpv4 {
    std::string ip, mask, gateway;
  };
  void set_static_ipv4(int index, StaticIpv4 address) { static_ipv4_.at(slot(index)) = std::move(address); }
  [[nodiscard]] const std::optional<StaticIpv4>& static_ipv4(int index) const { return static_ipv4_.at(slot(index)); }
  void set_napt_gateway(int index) { napt_gateway_ = index; }
  [[nodiscard]] int napt_gateway() const { return napt_gateway_; }
  // A stable made-up MAC per adapter (6 raw bytes).
  [[nodiscard]] std::string mac(int index) const;

  // wlan -----------------------------------------------------------------------------------------------
  [[nodiscard]] bool has_wifi() const { return profile_.has_wifi; }
  void wifi_init() { wifi_initialized_ = true; }
  [[nodiscard]] int wifi_mode() const { return wifi_mode_; }
  void set_wifi_mode(int mode) { wifi_mode_ = mode; }
  // Starts an association: IP_READY on LWIP_STA and WLAN_STA_INC CONNECTED after the association time,
  // or WLAN_STA_INC DISCONNECTED with a reason code when the network is unknown or the password wrong.
  void wifi_connect(const std::string& ssid, const std::string& password);
  void wifi_disconnect();
  [[nodiscard]] const std::string& wifi_ssid() const { return joined_ssid_; }
  [[nodiscard]] const WifiNetwork* joined_network() const;
  void wifi_scan();
  [[nodiscard]] bool scan_done() const { return scan_done_; }
  void start_ap(const std::string& ssid);
  void stop_ap();
  [[nodiscard]] const std::string& ap_ssid() const { return ap_ssid_; }

  // board -----------------------------------------------------------------------------------------------
  Board& board() { return board_; }
  // pm: a sleep mode that powers the radio down (DEEP, HIB, WORK_MODE 3) takes LWIP_GP down when the
  // profile says so (IP_LOSE); waking (IDLE, WORK_MODE 0..2) registers again (IP_READY after the
  // registration time), as leaving flight mode does. Otherwise the request is only logged.
  void request_deep_sleep(bool deep, const std::string& why);
  // Whether the last request was for a deep sleep (a wake-up timer then boots the device afresh).
  [[nodiscard]] bool deep_sleep_requested() const { return deep_sleep_; }
  // Logs "<what>: accepted, no effect on the PC" the first time only (calls that drive real hardware).
  void note_accepted(const std::string& what);

 private:
  static std::size_t slot(int index) { return static_cast<std::size_t>(index); }
  void publish(const std::string& topic, std::vector<TopicArg> args = {});

  adapter::AdapterRegistry& adapters_;
  DeviceProfile profile_;
  Publisher publish_;
  bool flight_mode_ = false;
  bool cell_info_ready_ = false;
  std::array<bool, adapter::kAdapterCount> driver_set_up_{};
  std::array<std::optional<StaticIpv4>, adapter::kAdapterCount> static_ipv4_{};
  int napt_gateway_ = -1;
  bool wifi_initialized_ = false;
  int wifi_mode_ = 1;  // STATION
  std::string joined_ssid_;
  std::uint64_t association_attempt_ = 0;  // a newer connect or a disconnect cancels a pending association
  bool scan_done_ = false;
  std::string ap_ssid_;
  Board board_;
  bool deep_sleep_ = false;
  bool radio_asleep_ = false;
  std::set<std::string> noted_;
};

}  // namespace luatnet::device
