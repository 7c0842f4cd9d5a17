export { serveHttp, isLoopback, type HttpSources, type HttpOptions } from './server.ts';
export { HttpLogins, LOGINS_FILE } from './logins.ts';
export { RecentActivity } from './recent-activity.ts';
export type { GatewayStatus } from './status.ts';
export { gatewayStatus, deviceStates, type StatusSections, type DeviceSources } from './gateway-status.ts';
export { Previews } from './previews.ts';
export { openHttpLogins, startHttp } from './start-http.ts';
export { createMetricsRegistry, type MetricSources } from './metrics.ts';
export { devicesOf, statusOf, startStatusPage, warningsOf, type RunningParts } from './start-status-page.ts';
