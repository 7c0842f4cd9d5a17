// aedes-persistence-level ships no types; this is the part of it the gateway uses.
declare module 'aedes-persistence-level/asyncPersistence.js' {
  import type { ClassicLevel } from 'classic-level';
  export default class AsyncPersistence {
    constructor(db: ClassicLevel<string, Buffer>);
    setup(broker: unknown): Promise<void>;
    destroy(): Promise<void>;
  }
}

declare module 'aedes-persistence/asyncPersistence.js' {
  export default class MemoryPersistence {
    constructor(opts?: object);
  }
}
