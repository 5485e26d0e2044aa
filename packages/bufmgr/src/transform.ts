// The single transform point for page bytes between the buffer pool and the files (see
// ARCHITECTURE.md): every page the storage manager writes passes through `encodePage` on a
// private copy, every page it reads through `decodePage` before anyone else can see it.
// Today the transform is the data checksum (B27, B29–B32); an encryption layer is another
// `PageTransform` chained with `chainPageTransforms`. Entry points: `PageTransform`,
// `ChecksumTransform`, `chainPageTransforms`.

import { assert, PgError, SqlState } from '@palisade/common';
import { pageChecksum } from './checksum.ts';
import { pageGetChecksum, pageHeaderIsSane, pageIsAllZero, pageIsNew, pageSetChecksum } from './page.ts';

/** Where a page lives, for transforms and their messages. */
export interface PageLocation {
  /** Fork path relative to the data directory, e.g. `base/5/16384`. */
  readonly relationPath: string;
  /** Block number within the fork (what the checksum mixes in). */
  readonly blockNumber: number;
  /** Replace an invalid page by zeros instead of failing (ReadBuffer's RBM_ZERO_ON_ERROR). */
  readonly zeroOnError?: boolean;
}

/** A reversible change applied to page bytes on their way to and from the files. */
export interface PageTransform {
  /** Changes `bytes` (a private copy of the page) in place just before it is written. */
  encodePage(bytes: Uint8Array, location: PageLocation): void;
  /** Changes `bytes` (just read) in place before use, or throws a PgError if they are not a valid page. */
  decodePage(bytes: Uint8Array, location: PageLocation): void;
}

/** Reports a WARNING (or other non-error) message; the server's logger in production. */
export type NoticeReporter = (notice: PgError) => void;

/** Options of {@link ChecksumTransform}. */
export interface ChecksumTransformOptions {
  /** Whether data checksums are enabled for the cluster (pg_control's data_checksum_version, B28). */
  dataChecksums: boolean;
  /** GUC ignore_checksum_failure: use a page with a bad checksum if its header is sane. */
  ignoreChecksumFailure?: boolean;
  /** GUC zero_damaged_pages: replace an invalid page by zeros with a WARNING instead of failing. */
  zeroDamagedPages?: boolean;
  /** Receives the WARNINGs of B27. */
  onNotice?: NoticeReporter;
}

/**
 * The data checksum as a transform: sets pd_checksum before a write and verifies the page
 * after a read (PageIsVerifiedExtended), reporting PostgreSQL's messages (B27).
 */
export class ChecksumTransform implements PageTransform {
  readonly dataChecksums: boolean;
  /** GUC ignore_checksum_failure (settable at run time). */
  ignoreChecksumFailure: boolean;
  /** GUC zero_damaged_pages (settable at run time). */
  zeroDamagedPages: boolean;
  /** Checksum failures seen since start (pg_stat_database.checksum_failures). */
  checksumFailureCount = 0;
  readonly #onNotice: NoticeReporter;

  constructor(options: ChecksumTransformOptions) {
    this.dataChecksums = options.dataChecksums;
    this.ignoreChecksumFailure = options.ignoreChecksumFailure ?? false;
    this.zeroDamagedPages = options.zeroDamagedPages ?? false;
    this.#onNotice = options.onNotice ?? (() => {});
  }

  encodePage(bytes: Uint8Array, location: PageLocation): void {
    if (pageIsNew(bytes)) return;
    // Never write a page we would refuse to read back: that can only be a bug.
    assert(pageHeaderIsSane(bytes), () => `writing page with insane header in block ${location.blockNumber} of relation ${location.relationPath}`);
    if (this.dataChecksums) pageSetChecksum(bytes, pageChecksum(bytes, location.blockNumber));
  }

  decodePage(bytes: Uint8Array, location: PageLocation): void {
    if (this.#verify(bytes, location)) return;
    if (location.zeroOnError === true || this.zeroDamagedPages) {
      this.#onNotice(new PgError(SqlState.DATA_CORRUPTED, `invalid page in block ${location.blockNumber} of relation ${location.relationPath}; zeroing out page`, { severity: 'WARNING' }));
      bytes.fill(0);
      return;
    }
    throw new PgError(SqlState.DATA_CORRUPTED, `invalid page in block ${location.blockNumber} of relation ${location.relationPath}`);
  }

  /** PageIsVerifiedExtended: true if the page may be used as it is. */
  #verify(bytes: Uint8Array, location: PageLocation): boolean {
    if (pageIsNew(bytes)) return pageIsAllZero(bytes);
    let checksumFailed = false;
    let calculated = 0;
    const stored = pageGetChecksum(bytes);
    if (this.dataChecksums) {
      calculated = pageChecksum(bytes, location.blockNumber);
      checksumFailed = calculated !== stored;
    }
    const headerSane = pageHeaderIsSane(bytes);
    if (headerSane && !checksumFailed) return true;
    if (checksumFailed) {
      this.checksumFailureCount++;
      this.#onNotice(new PgError(SqlState.DATA_CORRUPTED, `page verification failed, calculated checksum ${calculated} but expected ${stored}`, { severity: 'WARNING' }));
      if (headerSane && this.ignoreChecksumFailure) return true;
    }
    return false;
  }
}

/** Chains transforms: encoding applies them in order, decoding in reverse order. */
export function chainPageTransforms(...transforms: PageTransform[]): PageTransform {
  return {
    encodePage(bytes, location) {
      for (const t of transforms) t.encodePage(bytes, location);
    },
    decodePage(bytes, location) {
      for (let i = transforms.length - 1; i >= 0; i--) transforms[i]!.decodePage(bytes, location);
    },
  };
}
