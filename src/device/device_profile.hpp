// Device layer: module profiles (--device NAME or "device" in the adapters file). A profile says which
// adapters the module has, on which simulated link, whether each is up at start, comes up after a
// registration delay or waits for its driver (wlan.connect, netdrv.setup), and what the board reports
// (rtos.bsp, hmeta.model, the SIM's identity and signal). The adapters file's own entries override the
// profile's field by field; its "mobile" and "wlan" sections override the radio values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapter/adapter_registry.hpp"
#include "device/uart_port.hpp"

namespace luatnet::device {

struct CellInfo {
  std::int64_t mcc = 0x460, mnc = 0, tac = 0, cid = 0, pci = 0, earfcn = 0, band = 0;
  std::int64_t rsrp = 0, rsrq = 0, rssi = 0, snr = 0;
};

// What the SIM and the cellular radio report (mobile.*).
struct Cellular {
  bool sim_present = true;
  std::string imei, imsi, iccid, number, apn;
  std::int64_t csq = 0, rssi = 0, rsrp = 0, rsrq = 0, snr = 0;
  std::vector<CellInfo> cells;                   // the serving cell first
  std::chrono::milliseconds registration{1000};  // leaving flight mode until IP_READY
};

struct WifiNetwork {
  std::string ssid, password, bssid;  // bssid: 6 raw bytes
  std::int64_t rssi = -50, channel = 6;
};

struct DeviceProfile {
  std::string name;  // as given to --device
  std::string bsp, model, chip, hwver;
  std::optional<Cellular> cellular;  // absent: the module has no cellular radio
  bool has_wifi = false;
  std::vector<WifiNetwork> networks;                // what wlan.scan finds and wlan.connect joins
  std::chrono::milliseconds association{800};       // wlan.connect until IP_READY
  std::chrono::milliseconds ethernet_link_up{300};  // netdrv.setup until IP_READY (PHY link + DHCP)
  std::map<int, UartEndpoint> uarts;                // UART id -> host endpoint (--uart, "uart")
  std::map<int, std::int64_t> adc;                  // the channels the module has and their values
  bool sleep_cuts_radio = false;                    // pm's deep sleep takes LWIP_GP down
};

// "ID=ENDPOINT" (--uart 1=pty, --uart 2=tcp:7001) into `profile`; throws std::runtime_error on mistakes.
void add_uart(DeviceProfile& profile, const std::string& assignment);

struct DeviceSetup {
  adapter::AdaptersConfig adapters;
  std::optional<DeviceProfile> profile;  // absent: no --device and no "device" entry
};

// The names of the built-in profiles, comma separated.
std::string profile_names();
// The adapters and the profile for this run: `device_name` (from --device) wins over the file's "device";
// with neither, the file's adapters (or ETH0 on the host) exactly as without profiles. Throws
// std::runtime_error with a readable message on mistakes.
DeviceSetup load_setup(const std::string& adapters_file, const std::string& device_name);

}  // namespace luatnet::device
