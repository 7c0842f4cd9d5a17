export { GatewayConfig, VisionConfig } from './schema.ts';
export { loadConfig, configFromObject, type ConfigResult } from './load.ts';
