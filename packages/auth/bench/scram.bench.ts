// SCRAM-SHA-256 cost on the server: computing a verifier (CREATE ROLE … PASSWORD) and a full
// server-side exchange (server-first + client-final verification, with a client computed
// in-process from a pre-salted password so that only the server's work is timed), against the
// baseline measured in the same run: raw PBKDF2-HMAC-SHA-256 with the same iterations, which a
// verifier must pay once. Also the pg_hba.conf matcher on a 200-line file. Reports medians.
// Run: pnpm exec tsx --conditions=@palisade/source packages/auth/bench/scram.bench.ts

import { Bench } from 'tinybench';
import { pbkdf2Sync } from 'node:crypto';
import {
  ScramServer, scramVerifier, scramSaltedPassword, scramKeys, hmacSha256, parseScramVerifier, parseHbaLines, matchHba, tokenizeAuthFile,
  type HbaLine,
} from '@palisade/auth';

const ITERATIONS = 4096;
const password = 'correct horse battery staple';
const verifier = scramVerifier(password, { iterations: ITERATIONS });
const secret = parseScramVerifier(verifier)!;
const salt = secret.salt;
// The client's salted password is computed once: a real client pays PBKDF2 on its own machine.
const { clientKey, storedKey } = scramKeys(scramSaltedPassword(password, salt, ITERATIONS));
const mockNonce = new Uint8Array(32).fill(1);
const clientNonce = 'rOprNGfwEbeRWgbNEkqO';

function exchange(): void {
  const server = new ScramServer({ user: 'alice', verifier, mockNonce, channelBinding: null });
  const first = server.handleInitial('SCRAM-SHA-256', `n,,n=,r=${clientNonce}`).serverMessage;
  const r = first.slice(2, first.indexOf(','));
  const withoutProof = `c=biws,r=${r}`;
  const signature = hmacSha256(storedKey, `n=,r=${clientNonce},${first},${withoutProof}`);
  const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!)).toString('base64');
  const result = server.handleFinal(`${withoutProof},p=${proof}`);
  if (!result.done || !result.ok) throw new Error('exchange failed');
}

const hbaText = Array.from({ length: 199 }, (_, i) => `host db${i} user${i} 10.${i}.0.0/16 scram-sha-256`).join('\n') + '\nhost all all 0.0.0.0/0 scram-sha-256\n';
const lines = await tokenizeAuthFile({ readFile: async () => new TextEncoder().encode(hbaText), readdir: async () => [], exists: async () => true }, '/b/pg_hba.conf');
const rules = parseHbaLines(lines).map((r) => r.line!) as HbaLine[];
const roles = { isMemberOf: () => false };
const conn = { type: 'host' as const, ssl: false, gssEnc: false, address: '192.168.1.1', database: 'app', user: 'bob', replication: false };

const bench = new Bench({ time: 2000, warmup: true, warmupTime: 300 });
bench.add('baseline: raw PBKDF2-SHA-256, 4096 iterations', () => { pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256'); });
bench.add('scramVerifier (SASLprep + PBKDF2 + keys)', () => { scramVerifier(password, { iterations: ITERATIONS }); });
bench.add('full server-side SCRAM exchange', exchange);
bench.add('matchHba, 200 rules, match on the last', () => { if (!matchHba(rules, conn, roles)) throw new Error('no match'); });
await bench.run();

const perSecond = (name: string): number => {
  const result = bench.getTask(name)?.result;
  return result?.state === 'completed' ? 1000 / result.latency.p50 : Number.NaN;
};
const base = perSecond('baseline: raw PBKDF2-SHA-256, 4096 iterations');
console.table(bench.tasks.map((t) => ({
  task: t.name,
  'median ops/s': Math.round(perSecond(t.name)),
  'x baseline': (perSecond(t.name) / base).toFixed(2),
})));
