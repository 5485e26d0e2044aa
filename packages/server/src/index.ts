// @palisade/server — the reference server.

export {
  readConfigFile, lastWins, quoteConfigValue, autoConfText, configFileError, MAX_INCLUDE_DEPTH, MAX_CONFIG_FILE_BYTES,
  type ConfigItem, type ConfigProblem,
} from './config/conf-file.ts';
export { evaluateConfig, type EvaluatedConfig } from './config/apply.ts';
export { redactPasswords, prepareRedaction, REDACTED } from './log/redact.ts';
export { formatPrefix, formatStderr, formatJson, logTimestamp, sessionId, isLogged, type LogRecord, type LogSource } from './log/format.ts';
