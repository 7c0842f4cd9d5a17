export { GatewayConfig, VisionConfig } from './schema.ts';
export { loadConfig, configFromObject, type ConfigResult, type GatewayConfigInput } from './load.ts';
