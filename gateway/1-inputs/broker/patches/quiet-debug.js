// Switched-off `debug` logging in the broker's hot path, made free. Plain JavaScript, because
// gateway/operations/cli/bin.js (the bundle) and dev.js (the sources) import it before anything else.
//
// mqtt-packet calls `debug()` about twenty times for each message it parses or writes, and mqtt.js
// once or more per packet. A switched-off debug function still takes a rest-argument array and reads
// a getter on every call: a measurable share of the broker's CPU for many publishers to one
// subscriber (docs/performance.md, "Figures behind code choices"). This gives every namespace of
// those two packages that DEBUG leaves off a function that does nothing; a namespace DEBUG switches
// on gets the real logger.
// It works only for modules loaded after it, which is why both launchers import it first.
import { createRequire } from 'node:module';

const PACKAGES = ['mqtt-packet', 'mqtt'];
const NAMESPACE = /^(mqtt-packet|mqttjs)(:|$)/;
const quieted = new Set();

const require = createRequire(import.meta.url);
for (const path of new Set(PACKAGES.map(debugPathOf).filter(Boolean))) {
  const real = require(path);
  if (real.veilgateQuiet) continue;
  const factory = (namespace) => {
    const logger = real(namespace);
    if (logger.enabled || !NAMESPACE.test(namespace)) return logger;
    quieted.add(namespace);
    const off = () => {};
    off.enabled = false;
    off.namespace = namespace;
    off.log = logger.log;
    off.extend = (sub, delimiter = ':') => factory(namespace + delimiter + sub);
    off.destroy = () => true;
    return off;
  };
  // everything else (enable, disable, formatters, ...) stays the real module's
  Object.setPrototypeOf(factory, real);
  factory.veilgateQuiet = true;
  require.cache[path].exports = factory;
}

/** The `debug` module as the package sees it, or null when the package is not installed. */
function debugPathOf(pkg) {
  try {
    return createRequire(require.resolve(pkg)).resolve('debug');
  } catch {
    return null;
  }
}

/** The namespaces given a do-nothing logger so far, for the tests. */
export function quietedNamespaces() {
  return [...quieted];
}
