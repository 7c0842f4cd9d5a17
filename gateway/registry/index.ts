export { DeviceRegistry, type DeviceRecord, type PrincipalKind } from './registry.ts';
