export { connectDevice, disconnectDevice, type DeviceCredentials } from './connect.ts';
export { loadJpegFrames } from './frames.ts';
export { startCameraSim, type CameraSimOptions } from './camera.ts';
export { startSensorSim, sampleEvent, type SensorSimOptions } from './sensor.ts';
export { startRtspCameraSim, rtspSimMissing, type RtspCameraSimOptions } from './rtsp-camera.ts';
