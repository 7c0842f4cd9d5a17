/**
 * onnxruntime-node on Linux ships Microsoft's telemetry client: unless this is set before its native
 * part loads, every process that creates a session writes a device id and an event store under
 * $HOME/.cache/Microsoft and looks up Microsoft's collector. veilgate promises that nothing leaves the
 * box but what a policy allows, so it is always off. Set in the main thread (worker threads inherit
 * the process environment; their own process.env is a copy the native library does not read).
 */
process.env.ORT_DISABLE_TELEMETRY = '1';
