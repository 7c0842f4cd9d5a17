export { DeviceRegistry, type DeviceRecord } from './registry.ts';
