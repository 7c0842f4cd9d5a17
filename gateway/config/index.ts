export { GatewayConfig } from './schema.ts';
export { loadConfig, configFromObject, type ConfigResult } from './load.ts';
