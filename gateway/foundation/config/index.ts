export { AgencyConfig, CameraConfig, GatewayConfig, VisionConfig, RTSP_DEFAULTS } from './schema.ts';
export { loadAgencyConfig, loadConfig, configFromObject, type ConfigResult, type GatewayConfigInput } from './load.ts';
export { configuredDevices, knownDevices, refuseTakenCameraIds } from './configured-devices.ts';
export { rtspCameras, cameraMasks, cameraOrientation, type RtspCameraSettings } from './cameras.ts';
export { migrateCameras, oldCameraKeys, setCameraZone, type CameraMigration } from './migrate.ts';
export { CameraZones, refuseRegistryCameraZones, watchCameraZones } from './camera-zones.ts';
