// @palisade/difftest — the same SQL against two servers, every difference reported.

export {
  type Target, type DiffClient, type ConnectOptions, type StatementResult, type ColumnRecord, type NoticeRecord, type ErrorRecord,
  ConnectRefusedError, connectionStringTarget, pgclusterTarget, connectPg, withConnectOptions,
} from './target.ts';
export { splitSql, SplitError, type SplitStatement, type SplitResult, type LeadingComment } from './splitter.ts';
export { parseCorpusFile, CorpusError, DEFAULT_SESSION, type Step } from './corpus.ts';
export { type StepRecord, type RunnerTimeouts, DEFAULT_TIMEOUTS } from './runner.ts';
export { compareStep, describeSqlState, type Difference, type DiffField, type StepLocation } from './compare.ts';
export { runCorpus, formatReport, reportIsClean, type RunCorpusOptions, type DiffReport, type FileReport } from './run-corpus.ts';
