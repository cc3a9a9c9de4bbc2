// Holds a host lock in a process of its own, so host-lock.test.ts can SIGKILL the holder: argv[2]
// is the lock file, argv[3] (optional) the test sshd as JSON (then the lock is taken over ssh).
import { LocalConnection } from '../../lib/connection/local.js';
import { hostLockOwner } from '../../lib/connection/host-lock.js';
import type { Connection } from '../../lib/connection/connection.js';
import { sshTo } from '../connection/helpers.js';

const hostLock = { owner: hostLockOwner(), path: process.argv[2]! };
const sshd = process.argv[3] ? JSON.parse(process.argv[3]) : undefined;
const connection: Connection = sshd ? sshTo(sshd, { hostLock }) : new LocalConnection('held', { hostLock });
await connection.connect();
process.stdout.write('locked\n');
setInterval(() => {}, 60_000);
