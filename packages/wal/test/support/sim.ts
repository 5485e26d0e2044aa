// The simulated file system used by the fault tests.
export { SimulatedFileSystem } from '@palisade/common';
