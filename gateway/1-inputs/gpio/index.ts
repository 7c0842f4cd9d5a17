export { GpioSensors, type GpioHandlers } from './sensors.ts';
export { DigitalInputIo } from './io-plugin.ts';
export { SimulatedIo } from './simulated-io.ts';
export { GpioPart, type GpioInputs } from './start-gpio.ts';
