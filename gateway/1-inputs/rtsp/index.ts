export { RtspCamera, RTSP_PROBLEM_CODES, type RtspProblemCode, type RtspCameraEvents } from './rtsp-camera.ts';
export { ffmpegInput, sanitizeFfmpegMessage, type RtspSource } from './ffmpeg-input.ts';
export { FfmpegLog } from './ffmpeg-log.ts';
export { startRtspCameras } from './start-cameras.ts';
export { FrameSocket } from './frame-socket.ts';
export { frameSocketDir, frameSocketPath } from './socket-path.ts';
