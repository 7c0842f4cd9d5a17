/**
 * The converted SSD's input side (pixels, square). On its own so that the detector does not load
 * the converter, and with it the protobuf library, in every frame worker.
 */
export const SSD_SIZE = 300;
