// The in-memory model of a compiled (kernel-format) SELinux policy, as readPolicy() builds it.
// Values are the policy's own 1-based symbol values; bitmaps use bit = value - 1 except the
// permissive map, which (as in the file) uses bit = type value.

import type { Bitmap } from './bitmap.ts';
import type { MlsLevel, MlsRange } from './mls.ts';

/** How the policy wants classes and permissions it does not define to be treated (S3). */
export type HandleUnknown = 'deny' | 'reject' | 'allow';

/** avtab `specified` bits (avtab.h). */
export const AVTAB = {
  ALLOWED: 0x0001,
  AUDITALLOW: 0x0002,
  AUDITDENY: 0x0004,
  AV: 0x0007,
  TRANSITION: 0x0010,
  MEMBER: 0x0020,
  CHANGE: 0x0040,
  TYPE: 0x0070,
  XPERMS_ALLOWED: 0x0100,
  XPERMS_AUDITALLOW: 0x0200,
  XPERMS_DONTAUDIT: 0x0400,
  XPERMS: 0x0700,
  ENABLED: 0x8000,
} as const;

/** Constraint expression node kinds, attribute bits and operators (constraint.h). */
export const CEXPR = {
  NOT: 1, AND: 2, OR: 3, ATTR: 4, NAMES: 5,
  USER: 1, ROLE: 2, TYPE: 4, TARGET: 8, XTARGET: 16,
  L1L2: 32, L1H2: 64, H1L2: 128, H1H2: 256, L1H1: 512, L2H2: 1024,
  EQ: 1, NEQ: 2, DOM: 3, DOMBY: 4, INCOMP: 5,
  MAXDEPTH: 5,
} as const;

/** One node of a constraint expression in postfix order. */
export interface ConstraintExpr {
  readonly exprType: number;
  readonly attr: number;
  readonly op: number;
  /** For CEXPR_NAMES: the user/role/type bits named. */
  readonly names?: Bitmap;
}

/** `constrain`/`mlsconstrain` (or validatetrans) on some permissions of a class. */
export interface Constraint {
  readonly permissions: number;
  readonly expr: readonly ConstraintExpr[];
}

/** default_user/role/type source (1) or target (2); default_range 1..7 (policydb.h DEFAULT_*). */
export const DEFAULT_SOURCE = 1;
export const DEFAULT_TARGET = 2;
export const DEFAULT_RANGE = {
  SOURCE_LOW: 1, SOURCE_HIGH: 2, SOURCE_LOW_HIGH: 3, TARGET_LOW: 4, TARGET_HIGH: 5, TARGET_LOW_HIGH: 6, GLBLUB: 7,
} as const;

export interface CommonDatum {
  readonly name: string;
  readonly value: number;
  /** Permission name → value (bit = 1 << (value - 1)). */
  readonly permissions: ReadonlyMap<string, number>;
}

export interface ClassDatum {
  readonly name: string;
  readonly value: number;
  readonly commonName: string | undefined;
  /** Own and inherited permissions, name → value. */
  readonly permissions: ReadonlyMap<string, number>;
  readonly constraints: readonly Constraint[];
  readonly validatetrans: readonly Constraint[];
  readonly defaultUser: number;
  readonly defaultRole: number;
  readonly defaultType: number;
  readonly defaultRange: number;
}

export interface RoleDatum {
  readonly name: string;
  readonly value: number;
  readonly bounds: number;
  readonly dominates: Bitmap;
  readonly types: Bitmap;
}

export interface TypeDatum {
  readonly name: string;
  readonly value: number;
  readonly primary: boolean;
  readonly attribute: boolean;
  readonly bounds: number;
}

export interface UserDatum {
  readonly name: string;
  readonly value: number;
  readonly bounds: number;
  readonly roles: Bitmap;
  readonly range: MlsRange | undefined;
  readonly defaultLevel: MlsLevel | undefined;
}

export interface BoolDatum {
  readonly name: string;
  readonly value: number;
  /** Default value from the policy file. */
  readonly state: boolean;
}

export interface SensitivityDatum {
  readonly name: string;
  readonly isAlias: boolean;
  /** The sensitivity's value (level.sens) and the categories allowed with it. */
  readonly level: MlsLevel;
}

export interface CategoryDatum {
  readonly name: string;
  readonly value: number;
  readonly isAlias: boolean;
}

/** One avtab entry; `data` is a permission vector (AV kinds) or a type value (TYPE kinds). */
export interface AvtabEntry {
  readonly sourceType: number;
  readonly targetType: number;
  readonly targetClass: number;
  /** Exactly one AVTAB kind bit. */
  readonly specified: number;
  readonly data: number;
}

/** Boolean expression node of a conditional (COND_BOOL 1, NOT 2, OR 3, AND 4, XOR 5, EQ 6, NEQ 7). */
export interface CondExpr {
  readonly exprType: number;
  readonly bool: number;
}

export interface CondNode {
  readonly expr: readonly CondExpr[];
  readonly trueList: readonly AvtabEntry[];
  readonly falseList: readonly AvtabEntry[];
}

export interface RoleTransition {
  readonly role: number;
  readonly type: number;
  readonly tclass: number;
  readonly newRole: number;
}

export interface RoleAllow {
  readonly role: number;
  readonly newRole: number;
}

export interface FilenameTransition {
  readonly stypes: Bitmap;
  readonly ttype: number;
  readonly tclass: number;
  readonly name: string;
  readonly otype: number;
}

export interface RangeTransition {
  readonly sourceType: number;
  readonly targetType: number;
  readonly targetClass: number;
  readonly range: MlsRange;
}

/** A context as stored in the policy (values, not names). */
export interface ContextStruct {
  readonly user: number;
  readonly role: number;
  readonly type: number;
  readonly range: MlsRange | undefined;
}

export interface InitialSid {
  readonly sid: number;
  readonly context: ContextStruct;
}

/** Everything readPolicy() extracts from a kernel policy file. */
export interface PolicyDb {
  /** Where the policy came from (for messages). */
  readonly source: string;
  readonly version: number;
  readonly target: 'selinux';
  readonly mls: boolean;
  readonly handleUnknown: HandleUnknown;
  readonly policyCaps: Bitmap;
  /** Bit = type value (not value - 1), as in the file. */
  readonly permissiveMap: Bitmap;
  /** Indexed by value - 1. */
  readonly commons: readonly CommonDatum[];
  readonly classes: readonly ClassDatum[];
  readonly roles: readonly RoleDatum[];
  /** Primary types and attributes, indexed by value - 1 (aliases are in typeByName only). */
  readonly types: readonly TypeDatum[];
  readonly users: readonly UserDatum[];
  readonly bools: readonly BoolDatum[];
  /** Indexed by sensitivity value - 1 (aliases in sensitivityByName only). */
  readonly sensitivities: readonly SensitivityDatum[];
  readonly categories: readonly CategoryDatum[];
  readonly classByName: ReadonlyMap<string, ClassDatum>;
  readonly roleByName: ReadonlyMap<string, RoleDatum>;
  /** Including aliases. */
  readonly typeByName: ReadonlyMap<string, TypeDatum>;
  readonly userByName: ReadonlyMap<string, UserDatum>;
  readonly boolByName: ReadonlyMap<string, BoolDatum>;
  readonly sensitivityByName: ReadonlyMap<string, SensitivityDatum>;
  readonly categoryByName: ReadonlyMap<string, CategoryDatum>;
  readonly avtab: readonly AvtabEntry[];
  readonly condList: readonly CondNode[];
  readonly roleTransitions: readonly RoleTransition[];
  readonly roleAllows: readonly RoleAllow[];
  readonly filenameTransitions: readonly FilenameTransition[];
  readonly rangeTransitions: readonly RangeTransition[];
  readonly initialSids: readonly InitialSid[];
  /** type value - 1 → attributes (bits) that type has, including itself. */
  readonly typeAttrMap: readonly Bitmap[];
}

/** Initial SID numbers every Linux policy uses (flask initial_sids). */
export const SECINITSID_KERNEL = 1;
export const SECINITSID_UNLABELED = 3;

/** Policy capability names by bit (polcaps.c), for reporting only. */
export const POLICY_CAPABILITY_NAMES: readonly string[] = [
  'network_peer_controls', 'open_perms', 'extended_socket_class', 'always_check_network',
  'cgroup_seclabel', 'nnp_nosuid_transition', 'genfs_seclabel_symlinks', 'ioctl_skip_cloexec',
  'userspace_initial_context', 'netlink_xperm', 'netif_wildcard', 'genfs_seclabel_wildcard',
];
