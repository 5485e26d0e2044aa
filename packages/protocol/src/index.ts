// @palisade/protocol — the server side of PostgreSQL's frontend/backend protocol 3.0.

export { MessageReader, invalidMessageFormat } from './reader.ts';
export { MessageWriter, MAX_MESSAGE_BYTES } from './writer.ts';
export {
  type StartupPacket, parseStartupPacket, checkStartupLength, needsNegotiation,
  CANCEL_REQUEST_CODE, SSL_REQUEST_CODE, GSSENC_REQUEST_CODE, PROTOCOL_MAJOR, PROTOCOL_MINOR_LATEST, MAX_STARTUP_PACKET_BYTES,
} from './startup.ts';
export {
  type FrontendMessage, type FormatCode, decodeFrontendMessage, decodePasswordMessage, decodeSaslInitialResponse, decodeSaslResponse,
  maxBodyBytes, invalidMessageType, SMALL_MESSAGE_LIMIT_BYTES, LARGE_MESSAGE_LIMIT_BYTES, MAX_AUTH_TOKEN_BYTES,
} from './frontend.ts';
export {
  AuthCode, type TransactionStatus, type FieldDescription, type ErrorFields,
  authenticationOk, authenticationCleartextPassword, authenticationMD5Password, authenticationSASL, authenticationSASLContinue,
  authenticationSASLFinal, backendKeyData, parameterStatus, readyForQuery, negotiateProtocolVersion, rowDescription, dataRow,
  commandComplete, emptyQueryResponse, parseComplete, bindComplete, closeComplete, noData, portalSuspended, parameterDescription,
  copyInResponse, copyOutResponse, copyBothResponse, copyData, copyDone, notificationResponse, functionCallResponse,
  errorResponse, noticeResponse, errorFieldsOf,
} from './backend.ts';
export { MessageFramer, type Frame } from './framer.ts';
export { BackendConnection, type Incoming } from './connection.ts';
