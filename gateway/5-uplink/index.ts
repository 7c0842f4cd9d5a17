export type { Uplink } from './uplink.ts';
export { MqttUplink, redactUrl } from './mqtt-uplink.ts';
export { upstreamAuth, upstreamServers, upstreamUrls } from './upstream-auth.ts';
export { startUplink, uplinkWarnings } from './start-uplink.ts';
