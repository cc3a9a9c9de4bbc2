// The connection's errors live in the one hierarchy of lib/errors.ts; re-exported here for the
// connection code that raises them.
export { BecomeError, CommandTimeoutError, HostKeyError, OutputLimitError, TransferError, UnreachableError } from '../errors.js';
