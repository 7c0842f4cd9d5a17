export { connectDevice, disconnectDevice, type DeviceCredentials } from './connect.ts';
export { loadJpegFrames, loadFrames } from './frames.ts';
export { startCameraSim, type CameraSimOptions } from './camera.ts';
export { startSensorSim, sampleEvent, type SensorSimOptions } from './sensor.ts';
export { misbehave, MISDEEDS, type Misdeed, type MisbehavingOptions } from './misbehaving.ts';
export { loadVideoFrames, VIDEO_EXT } from './video.ts';
export { startRtspCameraSim, rtspSimMissing, type RtspCameraSimOptions } from './rtsp-camera.ts';
