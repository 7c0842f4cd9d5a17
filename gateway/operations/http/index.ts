export { serveHttp, isLoopback, type HttpSources, type HttpOptions } from './server.ts';
export { HttpLogins, LOGINS_FILE } from './logins.ts';
export { RecentActivity } from './recent-activity.ts';
export type { GatewayStatus } from './status.ts';
