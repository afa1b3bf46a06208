//! The device a test binary runs its models on, shared by the parity and default-model tests.

use std::sync::OnceLock;

use candle_core::Device;
use moodtracker_inference::config::DeviceSpec;

/// `INFERENCE_DEVICE` as the service reads it (`cpu`, `cuda`, `cuda:N`), the CPU when unset,
/// opened once per test binary. A GPU that cannot be opened fails every test loudly.
pub fn target_device() -> &'static Device {
    static DEVICE: OnceLock<Device> = OnceLock::new();
    DEVICE.get_or_init(|| {
        let spec = std::env::var("INFERENCE_DEVICE").unwrap_or_else(|_| "cpu".into());
        DeviceSpec::parse(&spec)
            .and_then(DeviceSpec::open)
            .unwrap_or_else(|e| panic!("{e}"))
    })
}
