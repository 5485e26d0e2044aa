// @palisade/sql — the query engine.

export { GucRegistry, GucSession, parseBool, type GucValue, type GucSource, type CheckHook, type SetAction, type GucSessionOptions } from './guc/guc.ts';
export { builtinDefinitions, type GucDefinition, type GucContext, type GucType } from './guc/definitions.ts';
export { formatG } from './guc/units.ts';
