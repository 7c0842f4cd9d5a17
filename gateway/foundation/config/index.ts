export { AgencyConfig, GatewayConfig, VisionConfig } from './schema.ts';
export { loadAgencyConfig, loadConfig, configFromObject, type ConfigResult, type GatewayConfigInput } from './load.ts';
export { configuredDevices, refuseTakenCameraIds } from './configured-devices.ts';
