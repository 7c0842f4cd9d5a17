import type { GatewayConfig } from '../../foundation/config/index.ts';

/** One doctor check's verdict; `runChecks` prints them. */
export interface CheckResult {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  /** what to do about it, when it is not ok */
  fix?: string;
}

export type Check = (cfg: Readonly<GatewayConfig>, now?: Date) => Promise<CheckResult | CheckResult[]>;

export const ok = (name: string, detail: string): CheckResult => ({ name, status: 'ok', detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
export const warn = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'warn', detail, fix });
export const msg = (e: unknown) => (e as Error).message.split('\n')[0]!;
