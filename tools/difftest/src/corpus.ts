// Corpus files: SQL statements plus directives in `-- @…` comment lines, turned into the list of
// steps that the runner executes on each target (DT2, DT3). Entry point: parseCorpusFile().

import { splitSql, type LeadingComment } from './splitter.ts';

/** The session every file starts in: the superuser, connected to the file's database. */
export const DEFAULT_SESSION = 'main';

/** One thing to do, in file order. */
export type Step =
  | { readonly kind: 'statement'; readonly line: number; readonly sql: string; readonly sort: boolean; readonly async: boolean }
  | { readonly kind: 'session'; readonly line: number; readonly name: string }
  | { readonly kind: 'connect'; readonly line: number; readonly name: string; readonly user: string; readonly database?: string; readonly password?: string; readonly text: string }
  | { readonly kind: 'await'; readonly line: number; readonly name: string };

/** A directive that cannot be understood, with where it is. */
export class CorpusError extends Error {
  override readonly name = 'CorpusError';
  constructor(readonly file: string, readonly line: number, message: string) {
    super(`${file}:${line}: ${message}`);
  }
}

const SESSION_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Parses a corpus file. Directives (only in `--` comments on their own line, before a statement):
 * `@session NAME`, `@connect NAME user=ROLE [db=DATABASE] [password=PASSWORD]`, `@sort`,
 * `@async`, `@await NAME`. `@skip-palisade` and unknown directives are errors (DT3).
 */
export function parseCorpusFile(file: string, text: string): Step[] {
  let split: ReturnType<typeof splitSql>;
  try {
    split = splitSql(text);
  } catch (err) {
    const line = (err as { line?: number }).line ?? 1;
    throw new CorpusError(file, line, (err as Error).message);
  }
  const steps: Step[] = [];
  let sort = false;
  let async = false;
  let flagLine = 0;

  const directives = (comments: readonly LeadingComment[]): void => {
    for (const comment of comments) {
      if (!comment.ownLine || !comment.text.startsWith('@')) continue;
      const [word = '', ...args] = comment.text.slice(1).split(/\s+/).filter((s) => s !== '');
      const line = comment.line;
      const needName = (): string => {
        const name = args[0];
        if (name === undefined || !SESSION_NAME.test(name)) throw new CorpusError(file, line, `@${word} needs a session name`);
        return name;
      };
      switch (word) {
        case 'session':
          if (args.length !== 1) throw new CorpusError(file, line, '@session takes exactly one session name');
          steps.push({ kind: 'session', line, name: needName() });
          break;
        case 'await':
          if (args.length !== 1) throw new CorpusError(file, line, '@await takes exactly one session name');
          steps.push({ kind: 'await', line, name: needName() });
          break;
        case 'connect': {
          const name = needName();
          const params = new Map<string, string>();
          for (const arg of args.slice(1)) {
            const eq = arg.indexOf('=');
            const key = arg.slice(0, eq);
            if (eq <= 0 || !['user', 'db', 'password'].includes(key)) throw new CorpusError(file, line, `@connect: unknown parameter ${JSON.stringify(arg)} (user=, db=, password=)`);
            params.set(key, arg.slice(eq + 1));
          }
          const user = params.get('user');
          if (user === undefined) throw new CorpusError(file, line, '@connect needs user=ROLE');
          const step: { -readonly [K in keyof Extract<Step, { kind: 'connect' }>]: Extract<Step, { kind: 'connect' }>[K] } = { kind: 'connect', line, name, user, text: `-- ${comment.text}` };
          const db = params.get('db');
          if (db !== undefined) step.database = db;
          const password = params.get('password');
          if (password !== undefined) step.password = password;
          steps.push(step);
          break;
        }
        case 'sort':
        case 'async':
          if (args.length !== 0) throw new CorpusError(file, line, `@${word} takes no arguments`);
          if (word === 'sort') sort = true;
          else async = true;
          flagLine = line;
          break;
        case 'skip-palisade':
          throw new CorpusError(file, line, '@skip-palisade is not allowed: every statement is compared');
        default:
          throw new CorpusError(file, line, `unknown directive @${word}`);
      }
    }
  };

  for (const statement of split.statements) {
    directives(statement.leadingComments);
    steps.push({ kind: 'statement', line: statement.line, sql: statement.sql, sort, async });
    sort = false;
    async = false;
  }
  directives(split.trailingComments);
  if (sort || async) throw new CorpusError(file, flagLine, 'directive is not followed by a statement');
  return steps;
}
