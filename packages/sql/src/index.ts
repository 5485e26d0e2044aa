// @palisade/sql — the query engine.

export { GucRegistry, GucSession, parseBool, type GucValue, type GucSource, type CheckHook, type SetAction, type GucSessionOptions } from './guc/guc.ts';
export { builtinDefinitions, type GucDefinition, type GucContext, type GucType } from './guc/definitions.ts';
export { formatG } from './guc/units.ts';
export { type Datum, type IoContext, type TypeImpl, type Interval, type TimeTz, type PgArray, type RegResolver, defaultIoContext } from './types/datum.ts';
export { Numeric, NUMERIC_POS, NUMERIC_NEG, NUMERIC_NAN, NUMERIC_PINF, NUMERIC_NINF, numericTypmodIn, numericTypmodOut } from './types/numeric.ts';
export { Jsonb, JsonbObject, type JsonbValue, jsonValidate, compareJsonbValues } from './types/jsonb.ts';
export { typeByOid, typeByName, registeredTypeOids } from './types/registry.ts';
export { DT_NOBEGIN, DT_NOEND, date2j, j2date, intervalOut, parseDateStyle } from './types/datetime.ts';
export { castFunction, type CastFunction } from './types/casts.ts';
export { jsonbGet, jsonbGetText, jsonbGetPath, jsonbGetPathText, jsonbContains, jsonbContainedBy, jsonbExists, jsonbExistsAny, jsonbExistsAll, jsonbConcat, jsonbDelete, jsonbTypeof, jsonbArrayLength, jsonbPretty, jsonbStripNulls, jsonbBuildArray, jsonbBuildObject, jsonbSet, toJsonbValue } from './types/jsonb-ops.ts';
export { Session, type SessionOptions, type ResultSink, type FieldDescription, type NoticeFields } from './engine/session.ts';
export { InProcessTransactionManager, type TransactionManager, type TransactionHandle, type TransactionOptions } from './engine/transaction.ts';
export { loadParser, parseStatements, type RawStatement } from './parser/parse.ts';
export { hasImplementation as hasBuiltinFunction } from './functions/builtins.ts';
export { numericLn, numericExp, numericPower } from './types/numeric-transcendental.ts';
