// Test support: power loss at a chosen operation (see @palisade/common's CrashingFileSystem).

export { CrashingFileSystem, type CrashPlan } from '@palisade/common';
