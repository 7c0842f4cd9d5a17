import { z } from 'zod';

/** The last level of `devices/{id}/{channel}`: what a device may publish on. */
export const Channel = z.enum(['frames', 'events', 'status']);
export type Channel = z.infer<typeof Channel>;

/** What one kind of device is: declared once, in its own file in this folder. */
export interface DeviceKindSpec {
  /** the channels it may publish on; the broker refuses the others */
  channels: readonly Channel[];
  /** the payload on each of its channels, as a schema or (for bytes) a description */
  payloads: Partial<Record<Channel, z.ZodType | string>>;
  /** the record types its data becomes: the vocabulary policies match on */
  recordTypes: readonly string[];
  /** for the transparency report */
  description: string;
}
