// IP addresses as pg_hba.conf reads, prints and compares them: numeric parsing with the
// platform resolver's rules (IPv4 in inet_aton forms, IPv6 with an optional zone), CIDR
// masks, printing as getnameinfo(NI_NUMERICHOST) does, and masked comparison.
// Entry points: parseNumericHost, cidrMask, formatAddress, addressInRange.

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address or mask. */
export interface IpAddress {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
}

/** Parses a numeric host as getaddrinfo(AI_NUMERICHOST) does; null if it is not numeric (a host name). */
export function parseNumericHost(text: string): IpAddress | null {
  const v4 = parseIpv4(text);
  if (v4) return v4;
  return parseIpv6(text);
}

// inet_aton: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes.
function parseIpv4(text: string): IpAddress | null {
  const parts = text.split('.');
  if (parts.length < 1 || parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    let value: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(part)) value = part.length === 2 ? 0 : parseInt(part.slice(2), 16);
    else if (/^0[0-7]*$/.test(part)) value = part.length === 1 ? 0 : parseInt(part.slice(1), 8);
    else if (/^[1-9][0-9]*$/.test(part)) value = parseInt(part, 10);
    else return null;
    if (!Number.isFinite(value) || value > 0xffffffff) return null;
    values.push(value);
  }
  const last = values[values.length - 1]!;
  const lead = values.slice(0, -1);
  if (lead.some((v) => v > 255)) return null;
  const lastBytes = 4 - lead.length;
  if (last >= 2 ** (8 * lastBytes)) return null;
  const bytes = new Uint8Array(4);
  lead.forEach((v, i) => { bytes[i] = v; });
  for (let i = 0; i < lastBytes; i++) bytes[3 - i] = Math.floor(last / 2 ** (8 * i)) & 0xff;
  return { family: 4, bytes };
}

function parseIpv6(input: string): IpAddress | null {
  let text = input;
  const zone = text.indexOf('%');
  if (zone >= 0) {
    if (zone === text.length - 1) return null;
    text = text.slice(0, zone);
  }
  if (!/^[0-9a-fA-F:.]+$/.test(text) || !text.includes(':')) return null;
  const words: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === '') return [];
    const groups = s.split(':');
    const out: number[] = [];
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = /^\d{1,3}(\.\d{1,3}){3}$/.test(g) ? g.split('.').map(Number) : null;
        if (!v4 || v4.some((b) => b > 255)) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0]!);
  if (!head) return null;
  if (halves.length === 2) {
    const tail = parseGroups(halves[1]!);
    if (!tail || head.length + tail.length > 7) return null;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    if (head.length !== 8) return null;
    words.push(...head);
  }
  const bytes = new Uint8Array(16);
  words.forEach((w, i) => { bytes[2 * i] = w >> 8; bytes[2 * i + 1] = w & 0xff; });
  return { family: 6, bytes };
}

/**
 * The mask for a CIDR length given as text (strtol rules: optional sign, decimal digits),
 * or null if it is not a valid length for the family (0–32 or 0–128).
 */
export function cidrMask(lengthText: string, family: 4 | 6): IpAddress | null {
  if (!/^[ \t]*[+]?\d+$/.test(lengthText)) return null;
  const bits = parseInt(lengthText.trim(), 10);
  const max = family === 4 ? 32 : 128;
  if (!(bits >= 0 && bits <= max)) return null;
  return maskOfLength(bits, family);
}

/** A mask with `bits` leading one bits. */
export function maskOfLength(bits: number, family: 4 | 6): IpAddress {
  const bytes = new Uint8Array(family === 4 ? 4 : 16);
  for (let i = 0; i < bytes.length; i++) {
    const take = Math.max(0, Math.min(8, bits - 8 * i));
    bytes[i] = (0xff00 >> take) & 0xff;
  }
  return { family, bytes };
}

/** Prints an address as glibc's inet_ntop does (the text pg_hba_file_rules shows). */
export function formatAddress(address: IpAddress): string {
  const b = address.bytes;
  if (address.family === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // Longest run of zero words (first on ties), compressed only if at least two long.
  let bestBase = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) { bestBase = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff))) {
      out += `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
      break;
    }
    out += words[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** True if `client` lies in `network`/`mask`; addresses of different families never match. */
export function addressInRange(client: IpAddress, network: IpAddress, mask: IpAddress): boolean {
  if (client.family !== network.family || network.family !== mask.family) return false;
  for (let i = 0; i < client.bytes.length; i++) {
    if (((client.bytes[i]! ^ network.bytes[i]!) & mask.bytes[i]!) !== 0) return false;
  }
  return true;
}

/** True if two addresses are the same. */
export function addressEquals(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.bytes.every((v, i) => v === b.bytes[i]);
}
