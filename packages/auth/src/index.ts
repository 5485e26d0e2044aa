// @palisade/auth — client authentication and privileges: pg_hba.conf / pg_ident.conf,
// password verifiers, SCRAM-SHA-256 and MD5 exchanges, roles and ACLs, throttling.

export { type IpAddress, parseNumericHost, formatAddress, addressInRange, cidrMask } from './address.ts';
export {
  type ConfigReader, type AuthToken, type TokenizedLine, type ConfigLogMessage,
  tokenizeAuthFile, resolveIncludePath, CONFIG_TOKEN_LENGTH_MAX, CONFIG_NESTING_DEPTH_MAX, CONFIG_FILE_SIZE_MAX_BYTES, CONFIG_LINES_MAX,
} from './config-file.ts';
export {
  type HbaConnType, type HbaMethod, type HbaNameToken, type HbaAddress, type HbaOptions, type HbaLine, type HbaError,
  type HbaParseOptions, type HbaLineResult, type HbaFileRuleRow, type HbaLoadResult,
  SUPPORTED_HBA_METHODS, parseHbaLine, parseHbaLines, hbaOptionStrings, hbaFileRuleRow, loadHba, hbaFileRules, hbaErrorToPgError, configContext, configFileUnreadable,
} from './hba.ts';
export {
  type HbaConnection, type RoleMembershipOracle, type HostResolver, type AsyncHostResolver, type NetworkInterface, type HbaMatchEnvironment,
  matchHba, matchHbaAsync, hostnameMatches, databaseMatches, userMatches, systemInterfaces,
} from './hba-match.ts';
export {
  type IdentLine, type IdentLineResult, type IdentFileMappingRow, type IdentLoadResult, type UsermapResult,
  parseIdentLine, identFileMappingRow, identFileMappings, loadIdent, checkUsermap,
} from './ident.ts';
export { type LdapUrl, parseLdapUrl } from './ldap-url.ts';
export { type SaslprepOutcome, saslprep, saslprepDetailed } from './saslprep.ts';
export {
  type ScramSecret, type PasswordType,
  SCRAM_DEFAULT_ITERATIONS, SCRAM_ITERATIONS_MAX, SCRAM_SALT_LENGTH_BYTES, SCRAM_KEY_LENGTH_BYTES,
  scramVerifier, parseScramVerifier, formatScramVerifier, scramSaltedPassword, scramKeys, md5Verifier, passwordType,
  encryptPassword, verifyScramPlainPassword, constantTimeEqual, decodeBase64, hmacSha256, sha256,
} from './verifier.ts';
export {
  type AuthOutcome, type UnavailableReason, type HbaRejectedConnection,
  passwordAuthFailed, logDetails, noHbaEntryError, hbaRejectsError, authFailedError,
} from './auth-result.ts';
export { md5Salt, md5ExpectedResponse, md5ClientResponse, checkMd5Response, checkPlainPassword, choosePasswordExchange } from './md5.ts';
export {
  type ScramServerOptions, type ScramContinue, ScramServer, SCRAM_SHA_256, SCRAM_SHA_256_PLUS, SCRAM_RAW_NONCE_LENGTH_BYTES, SCRAM_MESSAGE_LENGTH_MAX,
} from './scram.ts';
export { tlsServerEndPointHash, certificateSignatureAlgorithmOid } from './channel-binding.ts';
export {
  type RoleAttributes, type Role, type RoleMembership, type AdminContext,
  defaultRoleAttributes, RoleGraph, ROLE_COUNT_MAX, PG_DATABASE_OWNER, checkCreateRoleAttributes, usablePassword, checkRoleLogin,
} from './roles.ts';
export {
  type AclMode, type AclItem, type Acl, type AclObjectType, type AclRoleOracle, type RoleNames,
  ACL_PUBLIC, Privilege, PRIVILEGE_LETTERS, grantOptionFor, allPrivileges, privilegeLetters, privilegeName, privilegesFromNames,
  aclDefault, aclMask, aclMaskDirect, hasPrivilege, columnPrivileges, permissionDenied, mustBeOwner,
  formatAclItem, formatAcl, parseAclItem, compareAclItems, sortAcl, aclEqual,
} from './acl.ts';
export {
  type DropBehavior, type GrantRequest, type GrantResult, type DefaultAclObjectType, type DefaultAclEntry, type DefaultAclRequest,
  ACL_REWRITES_MAX, DEFAULT_ACL_LETTER, selectBestGrantor, aclUpdate, mergeAclWithGrant, executeGrant, columnPrivilegesOfTableRevoke,
  aclNewOwner, setDefaultAcl, defaultAclForNewObject,
} from './grant.ts';
export { type FailureThrottleOptions, type RateLimiterOptions, AuthFailureThrottle, ConnectionRateLimiter } from './throttle.ts';
export { type LdapPlan, ldapPlan, checkLdapUserName, ldapSearchFilter, ldapBindDn, ldapSearchResultMessage } from './ldap.ts';
export { type PeerCertificate, checkClientCertRequired, certCheckNeeded, checkCertAuth } from './cert-auth.ts';
export {
  type LdapAuthOptions, type LdapAuthResult, ldapAuthenticate,
  LDAP_CONNECT_TIMEOUT_MS_DEFAULT, LDAP_OPERATION_TIMEOUT_MS_DEFAULT, LDAP_MESSAGE_SIZE_MAX_BYTES_DEFAULT, LDAP_SEARCH_ENTRIES_MAX_DEFAULT,
} from './ldap-auth.ts';
export {
  type LdapResult, type LdapTarget, type LdapConnectOptions, type LdapSearchRequest,
  LdapConnection, LdapError, LdapResultCode, ldapErr2String, START_TLS_OID,
} from './ldap-client.ts';
export { encodeLdapFilter, LdapFilterError, LDAP_FILTER_DEPTH_MAX } from './ldap-filter.ts';
