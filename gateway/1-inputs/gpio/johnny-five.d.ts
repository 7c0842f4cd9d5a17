// The part of johnny-five 2.1 the GPIO sensors use (the package ships no types).
declare module 'johnny-five' {
  import type { EventEmitter } from 'node:events';

  interface BoardOptions {
    io: EventEmitter;
    repl: false;
    debug: boolean;
    sigint: false;
    timeout?: number;
  }
  interface ComponentOptions {
    board: Board;
    pin: number;
  }
  export class Board extends EventEmitter {
    constructor(o: BoardOptions);
  }
  export class Motion extends EventEmitter {
    constructor(o: ComponentOptions & { controller: 'PIR'; calibrationDelay: number });
  }
  export class Switch extends EventEmitter {
    constructor(o: ComponentOptions & { type: 'NO' | 'NC' });
  }
  export class Button extends EventEmitter {
    constructor(o: ComponentOptions & { holdtime: number; isPullup: boolean; invert?: boolean });
  }
  export class Sensor extends EventEmitter {
    constructor(o: ComponentOptions & { type: 'digital'; freq: number });
    readonly value: number;
    disable(): void;
  }
  const five: {
    Board: typeof Board;
    Motion: typeof Motion;
    Switch: typeof Switch;
    Button: typeof Button;
    Sensor: typeof Sensor;
  };
  export default five;
}
