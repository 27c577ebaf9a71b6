// The device layer's profiles: what a profile puts in the adapters config, how an adapters file's entries
// merge into it field by field, and the mistakes it refuses.
#include "device/device_profile.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <string>

#include "adapter/adapter_index.hpp"
#include "adapter/link_presets.hpp"
#include "device/board.hpp"

namespace luatnet::device {
namespace {

// An adapters file with `text`, removed afterwards.
class AdaptersFile {
 public:
  explicit AdaptersFile(const std::string& text) {
    char name[] = "/tmp/luatnet-device-test-XXXXXX";
    int fd = ::mkstemp(name);
    ::close(fd);
    path_ = name;
    std::ofstream(path_) << text;
  }
  ~AdaptersFile() { ::unlink(path_.c_str()); }
  AdaptersFile(const AdaptersFile&) = delete;
  AdaptersFile& operator=(const AdaptersFile&) = delete;
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const adapter::AdapterConfig* find(const adapter::AdaptersConfig& config, int index) {
  for (const auto& entry : config.adapters) {
    if (entry.index == index) return &entry;
  }
  return nullptr;
}

TEST(DeviceProfile, WithoutADeviceNothingChanges) {
  auto setup = load_setup("", "");
  EXPECT_FALSE(setup.profile);
  ASSERT_EQ(setup.adapters.adapters.size(), 1U);
  EXPECT_EQ(setup.adapters.adapters[0].index, adapter::kEth0);
  EXPECT_FALSE(setup.adapters.adapters[0].simulate);
}

TEST(DeviceProfile, Air8000HasItsAdaptersWaitingForTheirDrivers) {
  auto setup = load_setup("", "air8000");
  ASSERT_TRUE(setup.profile);
  EXPECT_EQ(setup.adapters.default_index, adapter::kLwipGp);
  EXPECT_EQ(find(setup.adapters, adapter::kEth0), nullptr);
  const auto* gp = find(setup.adapters, adapter::kLwipGp);
  ASSERT_NE(gp, nullptr);
  EXPECT_TRUE(gp->simulate->link_up);
  EXPECT_EQ(gp->simulate->ready_delay.count(), 1000);
  EXPECT_EQ(gp->simulate->latency, adapter::link_preset("cat1")->latency);
  for (int waiting : {int{adapter::kLwipSta}, int{adapter::kLwipAp}, int{adapter::kLwipEth}, 7, 8}) {
    const auto* entry = find(setup.adapters, waiting);
    ASSERT_NE(entry, nullptr) << waiting;
    EXPECT_FALSE(entry->simulate->link_up) << waiting;
  }
  EXPECT_TRUE(setup.profile->cellular);
  EXPECT_TRUE(setup.profile->has_wifi);
}

TEST(DeviceProfile, TheFileMergesFieldByFieldAndAddsAdapters) {
  AdaptersFile file(R"({ "device": "air780e",
    "adapters": [ { "index": "LWIP_GP", "simulate": { "latency_ms": 7 } }, { "index": "ETH0" } ],
    "mobile": { "csq": 3 }, "board": { "model": "Air780EP" } })");
  auto setup = load_setup(file.path(), "");
  const auto* gp = find(setup.adapters, adapter::kLwipGp);
  ASSERT_NE(gp, nullptr);
  EXPECT_EQ(gp->simulate->latency.count(), 7);
  EXPECT_EQ(gp->simulate->bandwidth_bps, adapter::link_preset("cat1")->bandwidth_bps);  // the rest stays
  EXPECT_EQ(gp->simulate->ready_delay.count(), 1000);
  EXPECT_NE(find(setup.adapters, adapter::kEth0), nullptr);
  EXPECT_EQ(setup.profile->cellular->csq, 3);
  EXPECT_EQ(setup.profile->cellular->rssi, -65);  // not overridden
  EXPECT_EQ(setup.profile->model, "Air780EP");
  EXPECT_EQ(setup.profile->bsp, "EC618");
}

TEST(DeviceProfile, TheCommandLineWinsOverTheFile) {
  AdaptersFile file(R"({ "device": "air8000" })");
  EXPECT_EQ(load_setup(file.path(), "air8101").profile->name, "air8101");
}

TEST(DeviceProfile, NoSimKeepsTheCellularLinkDown) {
  AdaptersFile file(R"({ "device": "air780e", "mobile": { "sim": false } })");
  auto setup = load_setup(file.path(), "");
  EXPECT_FALSE(find(setup.adapters, adapter::kLwipGp)->simulate->link_up);
  EXPECT_FALSE(setup.profile->cellular->sim_present);
}

TEST(DeviceProfile, MistakesAreRefusedWithTheirNames) {
  EXPECT_THROW(load_setup("", "nokia3310"), std::runtime_error);
  AdaptersFile bad_bssid(R"({ "device": "air8101", "wlan": { "networks": [ { "ssid": "a", "bssid": "12" } ] } })");
  EXPECT_THROW(load_setup(bad_bssid.path(), ""), std::runtime_error);
  AdaptersFile not_hex(
      R"({ "device": "air8101", "wlan": { "networks": [ { "ssid": "a", "bssid": "ZZZZZZZZZZZZ" } ] } })");
  EXPECT_THROW(load_setup(not_hex.path(), ""), std::runtime_error);
  AdaptersFile bad_type(R"({ "device": "air8000", "mobile": { "csq": "high" } })");
  EXPECT_THROW(load_setup(bad_type.path(), ""), std::runtime_error);
  AdaptersFile no_ssid(R"({ "device": "air8000", "wlan": { "networks": [ { "password": "x" } ] } })");
  EXPECT_THROW(load_setup(no_ssid.path(), ""), std::runtime_error);
}

TEST(DeviceProfile, BoardValuesComeFromTheProfileAndTheFile) {
  AdaptersFile file(R"({ "device": "air780e", "uart": { "1": "pty", "3": "tcp:7001" },
                         "adc": { "0": 1234, "1": null, "vbat": 4100, "9": 5 }, "pm": { "sleep_cuts_radio": false } })");
  auto setup = load_setup(file.path(), "");
  ASSERT_TRUE(setup.profile);
  const auto& profile = *setup.profile;
  ASSERT_EQ(profile.uarts.size(), 2U);
  EXPECT_EQ(profile.uarts.at(1).kind, UartEndpoint::Kind::Pty);
  EXPECT_EQ(profile.uarts.at(3).kind, UartEndpoint::Kind::Tcp);
  EXPECT_EQ(profile.uarts.at(3).port, 7001);
  EXPECT_EQ(profile.adc.at(0), 1234);
  EXPECT_FALSE(profile.adc.contains(1));
  EXPECT_EQ(profile.adc.at(kAdcVbat), 4100);
  EXPECT_EQ(profile.adc.at(kAdcCpu), 35000);
  EXPECT_EQ(profile.adc.at(9), 5);
  EXPECT_FALSE(profile.sleep_cuts_radio);
  EXPECT_TRUE(load_setup("", "air8000").profile->sleep_cuts_radio);
  EXPECT_FALSE(load_setup("", "air8101").profile->sleep_cuts_radio);
}

TEST(DeviceProfile, UartWiringIsCheckedWhole) {
  DeviceProfile profile;
  add_uart(profile, "2=tcp:0");
  add_uart(profile, "2=pty");  // the last one wins, as the command line after the file
  EXPECT_EQ(profile.uarts.at(2).kind, UartEndpoint::Kind::Pty);
  for (const char* wrong : {"", "2", "=pty", "2=", "2=serial", "2=tcp:", "2=tcp:65536", "2=tcp:80x", "x=pty", "-1=pty",
                            "128=pty", "2=tcp:-5", "2 =pty"}) {
    EXPECT_THROW(add_uart(profile, wrong), std::runtime_error) << wrong;
  }
  AdaptersFile not_text(R"({ "device": "air780e", "uart": { "1": 7 } })");
  EXPECT_THROW(load_setup(not_text.path(), ""), std::runtime_error);
  AdaptersFile bad_channel(R"({ "device": "air780e", "adc": { "temp": 1 } })");
  EXPECT_THROW(load_setup(bad_channel.path(), ""), std::runtime_error);
  AdaptersFile bad_value(R"({ "device": "air780e", "adc": { "0": "high" } })");
  EXPECT_THROW(load_setup(bad_value.path(), ""), std::runtime_error);
}

TEST(LinkPresets, EveryNamedPresetExistsAndUnknownOnesDoNot) {
  for (const char* name : {"gprs", "edge", "nbiot", "cat1", "lte", "wifi", "ethernet"}) {
    auto preset = adapter::link_preset(name);
    ASSERT_TRUE(preset) << name;
    EXPECT_TRUE(preset->link_up);
    EXPECT_GT(preset->bandwidth_bps, 0U) << name;
  }
  EXPECT_FALSE(adapter::link_preset("5g"));
  EXPECT_LT(adapter::link_preset("ethernet")->latency, adapter::link_preset("gprs")->latency);
}

}  // namespace
}  // namespace luatnet::device
