// @palisade/server — the reference server.

export {
  readConfigFile, lastWins, quoteConfigValue, autoConfText, configFileError, MAX_INCLUDE_DEPTH, MAX_CONFIG_FILE_BYTES,
  type ConfigItem, type ConfigProblem,
} from './config/conf-file.ts';
export { evaluateConfig, type EvaluatedConfig } from './config/apply.ts';
export { redactPasswords, prepareRedaction, REDACTED } from './log/redact.ts';
export { formatPrefix, formatStderr, formatJson, logTimestamp, sessionId, isLogged, type LogRecord, type LogSource } from './log/format.ts';
export {
  type EngineBackend, type SessionBackend, type RoleRecord, type SessionStartInfo, type ResultSink, type QueryContext, type SessionTimeouts,
} from './session/engine.ts';
export { runSessionLoop, SessionControl, queryCanceledByUser, statementTimeoutError, idleInTransactionTimeoutError } from './session/session-loop.ts';
export {
  startPostmaster, Postmaster, PALISADE_VERSION, SERVER_VERSION, type PostmasterOptions, type ReloadResult, type ShutdownMode,
} from './postmaster/postmaster.ts';
export { loadServerSettings, serverRegistry, PALISADE_PARAMETERS, type ServerSettings } from './postmaster/settings.ts';
export { checkDataDirectory, pidFileLines } from './postmaster/datadir.ts';
export { loadTls, checkKeyFilePermissions, type TlsState } from './postmaster/tls.ts';
export { ServerLog, type LogSink } from './postmaster/server-log.ts';
export { authenticateClient, membershipOracle, peerCertificateOf, type AuthEnvironment, type ClientFacts, type Authenticated } from './auth/authenticate.ts';
export { reportedParameters, canonicalEncoding } from './auth/parameters.ts';
